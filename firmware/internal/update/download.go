package update

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/qrstand/qrstand/mqtt"
)

// download fetches f's bundle into DIR/download/<sha256>.part, resuming a
// partial file with a Range request, and returns the complete file's path
// once its size and sha256 match the announcement.
func (u *Updater) download(ctx context.Context, f *mqtt.FirmwareUpdate) (string, error) {
	ur, err := url.Parse(f.URL)
	if err != nil {
		return "", fmt.Errorf("update: url: %w", err)
	}
	if ur.Scheme != "https" && !u.cfg.AllowHTTP {
		return "", fmt.Errorf("%w: %s", ErrInsecure, ur.Redacted())
	}
	part := filepath.Join(u.cfg.Dir, downloadDir, f.SHA256+".part")
	file, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	defer file.Close()
	have, err := file.Seek(0, io.SeekEnd)
	if err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	if have > f.Size {
		// Longer than announced: not the file we want. Start over.
		if err := file.Truncate(0); err != nil {
			return "", fmt.Errorf("update: %w", err)
		}
		have, _ = file.Seek(0, io.SeekStart)
	}
	if have < f.Size {
		if err := u.fetch(ctx, f, file, have); err != nil {
			return "", err
		}
	}
	if err := file.Sync(); err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	size, err := file.Seek(0, io.SeekEnd)
	if err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	if size < f.Size {
		// Kept: the next announcement resumes from here.
		return "", fmt.Errorf("%w: %d of %d bytes", ErrTruncated, size, f.Size)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(file, f.Size)); err != nil {
		return "", fmt.Errorf("update: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		_ = os.Remove(part) // a bad file is not resumed
		return "", fmt.Errorf("%w: got %s", ErrChecksum, got)
	}
	return part, nil
}

// fetch appends the bundle from offset have to file.
func (u *Updater) fetch(ctx context.Context, f *mqtt.FirmwareUpdate, file *os.File, have int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := u.cfg.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("update: download: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		start, ok := rangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			return fmt.Errorf("update: download: server resumed at %q, asked for %d", resp.Header.Get("Content-Range"), have)
		}
	case resp.StatusCode == http.StatusOK:
		// The whole file (a server that ignores Range): start over.
		if err := file.Truncate(0); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		have = 0
	default:
		return fmt.Errorf("update: download: HTTP %s", resp.Status)
	}
	if _, err := file.Seek(have, io.SeekStart); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	// Never more than announced: a hostile or broken server cannot fill
	// the disk.
	_, err = io.Copy(file, io.LimitReader(resp.Body, f.Size-have))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	return nil
}

// rangeStart reads the first byte position of "bytes 100-199/200".
func rangeStart(h string) (int64, bool) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil && n >= 0
}

// cleanDownloads removes every partial download but keep.
func (u *Updater) cleanDownloads(keep string) {
	dir := filepath.Join(u.cfg.Dir, downloadDir)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return
	}
	for _, e := range entries {
		if p := filepath.Join(dir, e.Name()); p != keep {
			_ = os.Remove(p)
		}
	}
}
