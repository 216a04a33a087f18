package firmware

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

// Config configures the Service. Zero values are the documented defaults.
type Config struct {
	// Dir holds the bundle files, <sha256>.bundle. Required.
	Dir string
	// Keys are the fleet's update public keys; AddBundle refuses a bundle
	// none of them signed. Required for AddBundle.
	Keys []ed25519.PublicKey
	// BaseURL is the cloud's external URL; stands download from
	// BaseURL/firmware/<sha256>. Required for Tick.
	BaseURL string
	// Send delivers a stand.command to a stand. Required for Tick.
	Send func(ctx context.Context, standID string, c *mqtt.StandCommand) error
	// ResendAfter is how long a stand that has not started an update it
	// was sent waits before it is sent again. Default 30 min.
	ResendAfter time.Duration
	Now         func() time.Time
	Log         *slog.Logger
}

// Service keeps bundles, rollouts and the stands' firmware reports.
type Service struct {
	cfg     Config
	db      *sql.DB
	dialect database.Dialect
}

// Errors a caller branches on.
var (
	ErrNotFound = errors.New("firmware: not found")
	ErrExists   = errors.New("firmware: bundle already added")
)

// New returns a Service on a migrated database.
func New(cfg Config, db *sql.DB, d database.Dialect) (*Service, error) {
	if cfg.Dir == "" {
		return nil, errors.New("firmware: Dir is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	if cfg.ResendAfter == 0 {
		cfg.ResendAfter = 30 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, db: db, dialect: d}, nil
}

// q rewrites ? placeholders into $n for PostgreSQL.
func (s *Service) q(query string) string {
	if s.dialect != database.Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

const tsLayout = time.RFC3339Nano

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(tsLayout, s)
	return t
}

// Bundle is an added bundle.
type Bundle struct {
	SHA256  string    `json:"sha256"`
	Version string    `json:"version"`
	Model   string    `json:"model"`
	Arch    string    `json:"arch"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

func (s *Service) bundlePath(sha string) string { return filepath.Join(s.cfg.Dir, sha+".bundle") }

// AddBundle verifies the bundle file at path with the fleet's keys and
// keeps a copy to serve.
func (s *Service) AddBundle(ctx context.Context, path string) (Bundle, error) {
	if len(s.cfg.Keys) == 0 {
		return Bundle{}, errors.New("firmware: no fleet update keys configured: the cloud checks every bundle before offering it")
	}
	f, err := os.Open(path)
	if err != nil {
		return Bundle{}, fmt.Errorf("firmware: %w", err)
	}
	defer f.Close()
	tmp, err := os.CreateTemp(s.cfg.Dir, ".add-*")
	if err != nil {
		return Bundle{}, fmt.Errorf("firmware: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	m, err := bundle.Read(io.TeeReader(io.LimitReader(f, mqtt.MaxBundleSize+1), io.MultiWriter(h, tmp)), s.cfg.Keys, io.Discard)
	if err != nil {
		return Bundle{}, fmt.Errorf("firmware: %s: %w", filepath.Base(path), err)
	}
	// Whatever follows the tar's end still counts for the stand's hash.
	if _, err := io.Copy(io.MultiWriter(h, tmp), io.LimitReader(f, mqtt.MaxBundleSize+1)); err != nil {
		return Bundle{}, fmt.Errorf("firmware: %w", err)
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return Bundle{}, fmt.Errorf("firmware: %w", err)
	}
	if size > mqtt.MaxBundleSize {
		return Bundle{}, fmt.Errorf("firmware: bundle larger than %d bytes", mqtt.MaxBundleSize)
	}
	if err := tmp.Sync(); err != nil {
		return Bundle{}, fmt.Errorf("firmware: %w", err)
	}
	b := Bundle{SHA256: hex.EncodeToString(h.Sum(nil)), Version: m.Version, Model: m.Model, Arch: m.Arch, Size: size, Created: s.cfg.Now().UTC()}
	if _, err := s.bundleFor(ctx, b.Version, b.Model, b.Arch); err == nil {
		return Bundle{}, fmt.Errorf("%w: %s for %s/%s", ErrExists, b.Version, b.Model, b.Arch)
	}
	if err := os.Rename(tmp.Name(), s.bundlePath(b.SHA256)); err != nil {
		return Bundle{}, fmt.Errorf("firmware: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO firmware_bundles (sha256, version, model, arch, size, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		b.SHA256, b.Version, b.Model, b.Arch, b.Size, ts(b.Created))
	if err != nil {
		return Bundle{}, fmt.Errorf("firmware: add bundle: %w", err)
	}
	return b, nil
}

func (s *Service) bundleFor(ctx context.Context, version, model, arch string) (Bundle, error) {
	var b Bundle
	var created string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT sha256, version, model, arch, size, created_at FROM firmware_bundles WHERE version = ? AND model = ? AND arch = ?`),
		version, model, arch).Scan(&b.SHA256, &b.Version, &b.Model, &b.Arch, &b.Size, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	b.Created = parseTS(created)
	return b, err
}

// Bundles lists every added bundle, newest first.
func (s *Service) Bundles(ctx context.Context) ([]Bundle, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sha256, version, model, arch, size, created_at FROM firmware_bundles ORDER BY created_at DESC, version, arch`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Bundle
	for rows.Next() {
		var b Bundle
		var created string
		if err := rows.Scan(&b.SHA256, &b.Version, &b.Model, &b.Arch, &b.Size, &created); err != nil {
			return nil, err
		}
		b.Created = parseTS(created)
		out = append(out, b)
	}
	return out, rows.Err()
}

// Handler serves GET /firmware/{sha256}: a bundle by its hash, with Range
// requests (http.ServeContent), so a stand resumes a cut download. Bundles
// are public (they are signed, and the firmware is open source); an
// unknown or malformed hash is a plain 404.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sha := r.PathValue("sha256")
		if b, err := hex.DecodeString(sha); err != nil || len(b) != sha256.Size || strings.ToLower(sha) != sha {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(s.bundlePath(sha))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			http.Error(w, "unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-tar")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeContent(w, r, sha+".bundle", fi.ModTime(), f)
	})
}

// inWave reports whether a stand belongs to a percentage wave of version:
// a hash of both, so the same stands stay in as the percentage grows.
func inWave(version, standID string, percent int) bool {
	h := fnv.New32a()
	h.Write([]byte(version + "/" + standID))
	return int(h.Sum32()%100) < percent
}

func sortedUnique(ids []string) []string {
	m := map[string]bool{}
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !m[id] {
			m[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
