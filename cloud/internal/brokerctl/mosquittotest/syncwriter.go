package mosquittotest

import (
	"bytes"
	"sync"
)

// syncWriter lets the test read the log while exec copies into it.
type syncWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}
