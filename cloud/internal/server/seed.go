package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/ui"
	"github.com/qrstand/qrstand/cloud/internal/urls"
	"github.com/qrstand/qrstand/mqtt"
)

// DemoStandID is the simulated stand dev mode registers.
const DemoStandID = "qrs-demo-0001"

func randomPassword() string {
	return strings.ToLower(rand.Text()[:16])
}

// seed creates the operator (when configured or in dev) and, in dev, a
// demo provider and a demo stand with a live pairing code. Outside dev the
// generated operator password is printed once; in dev the logins are also
// kept in <data>/dev-logins.txt and printed on every start, so a newcomer
// who restarts `make run` is not locked out.
func (s *Server) seed(ctx context.Context) (err error) {
	now := time.Now()
	if s.cfg.Dev {
		defer func() {
			if err == nil {
				err = s.showDevLogins()
			}
		}()
	}
	user, pw := s.cfg.OperatorUser, s.cfg.OperatorPassword
	if user == "" && s.cfg.Dev {
		user = "operator"
	}
	if user != "" {
		if _, err := s.st.ConsoleUserByUsername(ctx, user); errors.Is(err, storage.ErrNotFound) {
			if pw == "" {
				pw = randomPassword()
			}
			hash, err := ui.HashPassword(pw)
			if err != nil {
				return err
			}
			if _, err := s.st.CreateConsoleUser(ctx, user, hash, model.ConsoleOperator, "", now); err != nil {
				return err
			}
			s.log.Info("seeded operator login", "username", user)
			s.printLogin(fmt.Sprintf("operator console login: %s/console/login  user %q  password %q", s.cfg.BaseURL, user, pw))
		}
	}
	if !s.cfg.Dev {
		return nil
	}
	if _, err := s.st.ConsoleUserByUsername(ctx, "demo"); errors.Is(err, storage.ErrNotFound) {
		p, err := s.st.CreateProvider(ctx, "演示服务商 Demo Provider", "1900000001", "wxsandbox", model.ProviderSecrets{}, now)
		if err != nil {
			return err
		}
		pw := randomPassword()
		hash, err := ui.HashPassword(pw)
		if err != nil {
			return err
		}
		if _, err := s.st.CreateConsoleUser(ctx, "demo", hash, model.ConsoleProvider, p.ID, now); err != nil {
			return err
		}
		s.printLogin(fmt.Sprintf("provider console login: %s/console/login  user %q  password %q", s.cfg.BaseURL, "demo", pw))
	}
	// A simulated stand, registered and showing a fresh pairing code, until
	// the stand simulator sends its own pair.request over MQTT.
	if _, err := s.st.Stand(ctx, DemoStandID); errors.Is(err, storage.ErrNotFound) {
		secret := mqtt.NewSecret()
		owner := "" // the demo provider's console lists it
		if u, err := s.st.ConsoleUserByUsername(ctx, "demo"); err == nil {
			owner = u.ProviderID
		}
		if err := s.st.RegisterProviderStand(ctx, owner, DemoStandID, secret, now); err != nil {
			return err
		}
		if err := s.creds.Register(ctx, DemoStandID, secret); err != nil {
			return err
		}
		brokerURL := "tcp://" + s.cfg.MQTTAddr
		if isExternal(s.cfg.BrokerKind) {
			brokerURL = s.cfg.BrokerURL
		}
		// The stand simulator reads its credentials from here.
		// The field names are the stand's provisioning file format
		// (qrstand -provision FILE).
		creds, _ := json.MarshalIndent(map[string]string{
			"device_id": DemoStandID, "secret": secret,
			"broker": brokerURL, "cloud": s.cfg.BaseURL,
		}, "", "  ")
		path := filepath.Join(s.cfg.DataDir, "demo-stand.json")
		if err := os.WriteFile(path, append(creds, '\n'), 0o600); err != nil {
			return fmt.Errorf("server: write demo stand credentials: %w", err)
		}
		fmt.Printf("  demo stand credentials: %s\n", path)
	}
	if st, err := s.st.Stand(ctx, DemoStandID); err == nil && st.StoreID == "" {
		code := randomPassword()[:8]
		if err := s.st.SetPairCode(ctx, DemoStandID, code, now.Add(24*time.Hour)); err != nil {
			return err
		}
		fmt.Printf("  demo stand pairing URL (open as a manager; the stand simulator shows a fresh one under its screen): %s\n\n", urls.New(s.cfg.BaseURL).Pair(DemoStandID, code))
	}
	return nil
}

// devLoginsFile keeps dev mode's seeded logins.
const devLoginsFile = "dev-logins.txt"

// printLogin shows a freshly seeded login: printed outside dev, kept in
// the dev logins file in dev (which showDevLogins prints).
func (s *Server) printLogin(line string) {
	if !s.cfg.Dev {
		fmt.Printf("\n  %s\n\n", line)
		return
	}
	path := filepath.Join(s.cfg.DataDir, devLoginsFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.log.Error("dev logins file", "err", err)
		fmt.Printf("\n  %s\n", line)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "  %s\n", line)
}

// showDevLogins prints the dev logins on every dev start.
func (s *Server) showDevLogins() error {
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, devLoginsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: dev logins: %w", err)
	}
	fmt.Printf("\n%s  (kept in %s; delete %s to start over)\n\n", b, filepath.Join(s.cfg.DataDir, devLoginsFile), s.cfg.DataDir)
	return nil
}
