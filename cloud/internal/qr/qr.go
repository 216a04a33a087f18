// Package qr renders the cloud's QR codes (activation, management, store,
// clerk, plate and pairing codes) as PNG with github.com/skip2/go-qrcode.
package qr

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// PNG encodes url as a PNG of about size pixels (medium error correction,
// quiet zone kept).
func PNG(url string, size int) ([]byte, error) {
	if size < 64 || size > 2048 {
		return nil, fmt.Errorf("qr: size %d out of range 64..2048", size)
	}
	b, err := qrcode.Encode(url, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("qr: %w", err)
	}
	return b, nil
}
