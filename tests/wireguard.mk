# tests: wireguard
