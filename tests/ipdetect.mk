# tests: ipdetect
