package outbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// ErrPermanent marks a template send that will never succeed (e.g. the
// person unfollowed the account); the row is marked failed at once.
var ErrPermanent = errors.New("outbox: permanent failure")

// TemplateSender sends one official-account template message (the JSON
// body of /cgi-bin/message/template/send) through the official account of
// the provider whose merchant was paid.
type TemplateSender interface {
	SendTemplate(ctx context.Context, providerID string, payload []byte) error
}

func (d *Dispatcher) sendTemplate(ctx context.Context, r model.OutboxRow) {
	if d.cfg.Templates == nil {
		return
	}
	err := d.cfg.Templates.SendTemplate(ctx, r.ProviderID, r.Payload)
	now := d.cfg.Now()
	switch {
	case err == nil:
		if err := d.st.OutboxDone(ctx, r.ID, now, ""); err != nil {
			d.cfg.Log.Error("outbox: template done", "id", r.ID, "err", err)
		}
	case errors.Is(err, ErrPermanent) || r.Attempts >= d.cfg.TemplateAttempts:
		d.cfg.Log.Warn("outbox: template message given up", "id", r.ID, "attempts", r.Attempts, "err", err)
		if err := d.st.OutboxDone(ctx, r.ID, now, fmt.Sprint(err)); err != nil {
			d.cfg.Log.Error("outbox: template failed", "id", r.ID, "err", err)
		}
	default:
		d.cfg.Log.Warn("outbox: template message", "id", r.ID, "attempts", r.Attempts, "err", err)
		_ = d.st.OutboxNote(ctx, r.ID, err.Error())
	}
}
