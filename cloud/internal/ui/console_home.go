package ui

import (
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

func (h *Handler) consoleHome(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if u.Role == model.ConsoleOperator {
		providers, err := h.st.Providers(ctx)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, "operator_home", view{"User": u, "Providers": providers})
		return
	}
	p, err := h.st.Provider(ctx, u.ProviderID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	merchants, err := h.st.MerchantsByProvider(ctx, u.ProviderID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "provider_home", view{"User": u, "Provider": p, "Merchants": merchants})
}
