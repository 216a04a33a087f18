package ui

import (
	"net/http"
	"strings"
)

func (h *Handler) providerSettingsShow(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireProvider(w, r)
	if !ok {
		return
	}
	p, err := h.st.Provider(r.Context(), u.ProviderID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	sec, err := h.st.ProviderSecrets(r.Context(), u.ProviderID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	// Secrets are never sent back to the browser; only whether they are set.
	h.render(w, r, http.StatusOK, "provider_settings", view{"User": u, "Provider": p,
		"HasAppSecret": sec.AppSecret != "", "HasAPIv3Key": sec.APIv3Key != "", "HasKey": sec.PrivateKeyPEM != "", "CertSerial": sec.CertSerial})
}

func (h *Handler) providerSettingsSave(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireProvider(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p, err := h.st.Provider(ctx, u.ProviderID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	sec, err := h.st.ProviderSecrets(ctx, u.ProviderID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	p.SPMchID = strings.TrimSpace(r.PostFormValue("sp_mchid"))
	p.SPAppID = strings.TrimSpace(r.PostFormValue("sp_appid"))
	// Empty secret fields keep the stored value.
	set := func(dst *string, field string) {
		if v := strings.TrimSpace(r.PostFormValue(field)); v != "" {
			*dst = v
		}
	}
	set(&sec.AppSecret, "app_secret")
	set(&sec.APIv3Key, "apiv3_key")
	set(&sec.CertSerial, "cert_serial")
	set(&sec.PrivateKeyPEM, "private_key_pem")
	if err := h.st.UpdateProvider(ctx, p, &sec); err != nil {
		h.internal(w, r, err)
		return
	}
	h.log.Info("ui: provider settings saved", "provider", p.ID)
	http.Redirect(w, r, "/console/settings", http.StatusSeeOther)
}
