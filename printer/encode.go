package printer

import (
	"bytes"
	"fmt"

	"github.com/qrstand/qrstand/printer/escpos"
)

// encode returns the bytes and the text lines the layout printed.
func encode(doc Document, p Profile) ([]byte, []string, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	if err := doc.Validate(); err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	b := newBuilder(escpos.NewEncoder(&buf), p)
	b.start()
	doc.layout(b)
	b.finish()
	err := b.err
	if err == nil {
		err = b.e.Err()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("printer: encode %T: %w", doc, err)
	}
	return buf.Bytes(), b.lines, nil
}
