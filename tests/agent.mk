# tests: agent
