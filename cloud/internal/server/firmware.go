package server

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/firmware"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

// setupFirmware makes the rollout service: bundles in DataDir/firmware,
// checked against the UpdateKeys file, sent through the stand link. A
// cloud without a DataDir (PostgreSQL and no local folder) has none.
func (s *Server) setupFirmware() error {
	fw, err := newFirmware(s.cfg, s, s.log.With("component", "firmware"))
	if err != nil || fw == nil {
		return err
	}
	s.fw = fw
	return nil
}

func newFirmware(cfg Config, s *Server, log *slog.Logger) (*firmware.Service, error) {
	if cfg.DataDir == "" {
		return nil, nil
	}
	keys, err := bundle.ReadKeysFile(cfg.UpdateKeys)
	if err != nil && cfg.UpdateKeys != "" {
		return nil, err
	}
	var send func(ctx context.Context, id string, c *mqtt.StandCommand) error
	if s != nil {
		send = func(ctx context.Context, id string, c *mqtt.StandCommand) error {
			if s.link == nil {
				return errors.New("server: no stand link")
			}
			return s.link.Send(ctx, id, c)
		}
	}
	return firmware.New(firmware.Config{
		Dir: filepath.Join(cfg.DataDir, "firmware"), Keys: keys, BaseURL: cfg.BaseURL, Send: send, Log: log,
	}, s.db, s.dialect())
}

// OpenFirmware opens the firmware service on cfg's database, for the
// `qrstand-cloud firmware` commands; close releases the database.
func OpenFirmware(ctx context.Context, cfg Config) (fw *firmware.Service, closeDB func() error, err error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if cfg.DataDir == "" {
		return nil, nil, errors.New("server: firmware needs a data directory (-data) for the bundle files")
	}
	s := &Server{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	if err := s.openStorage(ctx); err != nil {
		return nil, nil, err
	}
	fw, err = newFirmware(cfg, s, s.log)
	if err != nil {
		s.db.Close()
		return nil, nil, err
	}
	return fw, s.db.Close, nil
}

// runFirmware moves rollouts on every minute and soon after a stand's
// update.state.
func (s *Server) runFirmware(ctx context.Context, g *errgroup.Group) {
	if s.fw == nil || s.link == nil {
		return
	}
	g.Go(func() error {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			case <-s.fwKick:
			}
			tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if err := s.fw.Tick(tctx); err != nil && ctx.Err() == nil {
				s.log.Warn("firmware: rollout tick", "err", err)
			}
			cancel()
		}
	})
}

// onUpdateState keeps a stand's firmware report and wakes the rollouts.
func (s *Server) onUpdateState(id string, u *mqtt.UpdateState) {
	if s.fw == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.fw.Observe(ctx, id, u); err != nil {
		s.log.Warn("firmware: update.state", "stand", id, "err", err)
		return
	}
	select {
	case s.fwKick <- struct{}{}:
	default:
	}
}

func (s *Server) dialect() database.Dialect {
	if s.cfg.Database == "postgres" {
		return database.Postgres
	}
	return database.SQLite
}
