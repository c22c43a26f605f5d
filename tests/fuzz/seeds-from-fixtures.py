#!/usr/bin/env python3
"""Write the seeds of the fuzz targets that read binary framing or come
straight from recorded fixtures (run from the source tree's top):

    python3 tests/fuzz/seeds-from-fixtures.py

tests/fixtures/netlink/*.hex    -> corpus/netlink/   (u16 length + datagram)
tests/fixtures/wireguard/*.hex  -> corpus/wg-genl/   (u16 length + message)
tests/fixtures/wireguard/*.txt  -> corpus/wg-uapi/
tests/fixtures/gluster/*.xml    -> corpus/gluster-xml/
tests/fixtures/docker/*.json    -> corpus/docker/

Seeds written by hand (or kept from a finding) live beside these and are
left alone; a file this script writes is overwritten."""
import glob
import os
import shutil
import struct

TOP = os.getcwd()
CORPUS = os.path.join(TOP, "tests", "fuzz", "corpus")


def hex_blocks(path):
    """Datagrams of a .hex fixture: '#' comments, hex pairs, '--' ends one."""
    blocks, cur = [], bytearray()
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line == "--":
            blocks.append(bytes(cur))
            cur = bytearray()
            continue
        cur += bytes(int(x, 16) for x in line.split())
    if cur:
        blocks.append(bytes(cur))
    return blocks


def pieces(blocks):
    return b"".join(struct.pack("<H", len(b)) + b for b in blocks)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    fx = os.path.join(TOP, "tests", "fixtures")
    nl = {os.path.basename(p)[:-4]: hex_blocks(p) for p in glob.glob(os.path.join(fx, "netlink", "*.hex"))}
    for name, blocks in nl.items():
        write("netlink", name, pieces(blocks))
    # nl_addr_list_io's whole conversation: the link dump, then the addresses.
    write("netlink", "conversation-link-then-addr", pieces(nl["link-dump"] + nl["addr-dump"]))

    wg = {os.path.basename(p)[:-4]: hex_blocks(p) for p in glob.glob(os.path.join(fx, "wireguard", "*.hex"))}
    for name, blocks in wg.items():
        write("wg-genl", name, pieces(blocks))
    write("wg-genl", "get-dump-both-parts", pieces(wg["genl-get-reply-1"] + wg["genl-get-reply-2"]))
    shutil.copy(os.path.join(fx, "wireguard", "uapi-get-reply.txt"), os.path.join(CORPUS, "wg-uapi"))

    for p in glob.glob(os.path.join(fx, "gluster", "*.xml")):
        write("gluster-xml", os.path.basename(p), open(p, "rb").read())
    for p in glob.glob(os.path.join(fx, "docker", "*.json")):
        write("docker", os.path.basename(p), open(p, "rb").read())


if __name__ == "__main__":
    main()
