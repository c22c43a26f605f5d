# tests: tailscale-netbird
