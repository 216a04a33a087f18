package font

//go:generate go run ./internal/gen -hex /usr/share/unifont/unifont.hex -o unifont.bin.gz
