package ui

import (
	"context"
	"errors"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// staffRow is a staff member with the activation URL to show while the
// role is not yet activated.
type staffRow struct {
	model.Staff
	ActivationURL string
	ClerkURL      string
}

func (h *Handler) staffRows(ctx context.Context, list []model.Staff) ([]staffRow, error) {
	out := make([]staffRow, 0, len(list))
	for _, s := range list {
		row := staffRow{Staff: s}
		if s.ClerkCodeToken != "" {
			row.ClerkURL = h.urls.Clerk(s.ClerkCodeToken)
		}
		if !s.Active() {
			c, err := h.st.PendingActivationCode(ctx, s.ID, h.now())
			switch {
			case err == nil:
				row.ActivationURL = h.urls.Activation(string(c.Role), c.ScopeID, c.Token)
			case errors.Is(err, storage.ErrNotFound):
			default:
				return nil, err
			}
		}
		out = append(out, row)
	}
	return out, nil
}
