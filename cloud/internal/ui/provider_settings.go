package ui

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// The provider's own WeChat accounts (issue 15): the official account
// (AppID, AppSecret: OAuth and template messages) and the WeChat Pay
// partner account (sp_mchid, merchant key and its serial, APIv3 key, the
// platform public key and its PUB_KEY_ID). Secrets are sealed at rest and
// never sent back to the browser.

var (
	reMchID    = regexp.MustCompile(`^[0-9]{8,12}$`)
	reAppID    = regexp.MustCompile(`^wx[0-9a-f]{16}$`)
	reSecret   = regexp.MustCompile(`^[0-9a-zA-Z]{32}$`)
	reSerial   = regexp.MustCompile(`^[0-9A-Fa-f]{8,64}$`)
	rePubKeyID = regexp.MustCompile(`^PUB_KEY_ID_[0-9A-Za-z_]{1,64}$`)
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
	h.renderProviderSettings(w, r, http.StatusOK, view{"User": u}, p, sec, r.URL.Query().Get("saved") == "1")
}

func (h *Handler) renderProviderSettings(w http.ResponseWriter, r *http.Request, status int, v view, p model.Provider, sec model.ProviderSecrets, saved bool) {
	v["Provider"], v["Saved"] = p, saved
	// Secrets are never sent back to the browser; only whether they are set.
	v["HasAppSecret"], v["HasAPIv3Key"], v["HasKey"] = sec.AppSecret != "", sec.APIv3Key != "", sec.PrivateKeyPEM != ""
	v["CertSerial"], v["PubKeyPEM"], v["PubKeyID"], v["TemplateID"] = sec.CertSerial, sec.PlatformPublicKeyPEM, sec.PlatformPublicKeyID, sec.PaidTemplateID
	if strings.Contains(sec.PlatformPublicKeyPEM, "PRIVATE") {
		v["PubKeyPEM"] = "" // a private key pasted in the wrong box is not shown again
	}
	v["PayReady"] = p.SPMchID != "" && p.SPAppID != "" && sec.HasPayAccount()
	v["NotifyURL"] = h.cfg.BaseURL + "/wxpay/notify/" + p.ID
	h.render(w, r, status, "provider_settings", v)
}

// providerSettingsSave checks everything before saving anything: ids
// well-formed, keys parse, and a WeChat Pay account complete once begun.
// A refused form comes back with the ids and public parts as typed and a
// message per field; secret fields are not echoed and must be typed again.
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
	sec.CertSerial = strings.TrimSpace(r.PostFormValue("cert_serial"))
	sec.PlatformPublicKeyID = strings.TrimSpace(r.PostFormValue("platform_public_key_id"))
	sec.PlatformPublicKeyPEM = strings.TrimSpace(r.PostFormValue("platform_public_key_pem"))
	sec.PaidTemplateID = strings.TrimSpace(r.PostFormValue("paid_template_id"))
	// Empty secret fields keep the stored value.
	set := func(dst *string, field string) {
		if v := strings.TrimSpace(r.PostFormValue(field)); v != "" {
			*dst = v
		}
	}
	set(&sec.AppSecret, "app_secret")
	set(&sec.APIv3Key, "apiv3_key")
	set(&sec.PrivateKeyPEM, "private_key_pem")
	if errs := checkAccount(p, sec); len(errs) > 0 {
		h.renderProviderSettings(w, r, http.StatusUnprocessableEntity, view{"User": u, "Errors": errs}, p, sec, false)
		return
	}
	if err := h.st.UpdateProvider(ctx, p, &sec); err != nil {
		h.internal(w, r, err)
		return
	}
	h.log.Info("ui: provider settings saved", "provider", p.ID, "pay_account", sec.HasPayAccount())
	http.Redirect(w, r, "/console/settings?saved=1", http.StatusSeeOther)
}

// checkAccount returns a zh-CN message per bad field (keyed by the form
// field name).
func checkAccount(p model.Provider, sec model.ProviderSecrets) map[string]string {
	errs := map[string]string{}
	if p.SPAppID != "" && !reAppID.MatchString(p.SPAppID) {
		errs["sp_appid"] = "AppID 应为 wx 加 16 位十六进制字符"
	}
	if sec.AppSecret != "" && !reSecret.MatchString(sec.AppSecret) {
		errs["app_secret"] = "AppSecret 应为 32 位字母或数字"
	}
	if len(sec.PaidTemplateID) > 64 || strings.ContainsAny(sec.PaidTemplateID, " \t\r\n<>\"'") {
		errs["paid_template_id"] = "模板 ID 格式不对"
	}
	if sec.AppSecret != "" && p.SPAppID == "" {
		errs["sp_appid"] = "填写了 AppSecret，请同时填写 AppID"
	}
	pay := p.SPMchID != "" || sec.APIv3Key != "" || sec.CertSerial != "" || sec.PrivateKeyPEM != "" ||
		sec.PlatformPublicKeyPEM != "" || sec.PlatformPublicKeyID != ""
	if !pay {
		return errs
	}
	// A WeChat Pay account is used whole or not at all.
	const missing = "微信支付账户需要填写此项"
	if !reMchID.MatchString(p.SPMchID) {
		errs["sp_mchid"] = "服务商商户号应为 8 到 12 位数字"
	}
	if p.SPAppID == "" {
		errs["sp_appid"] = "微信支付 JSAPI 需要公众号 AppID"
	}
	// The payer's openid must be of this AppID (sp_appid), and customers
	// log in through the provider's official account only with its secret.
	if sec.AppSecret == "" {
		errs["app_secret"] = "微信支付账户需要公众号的 AppSecret：顾客通过这个公众号授权，付款才有这个 AppID 下的 openid"
	}
	if len(sec.APIv3Key) != 32 {
		errs["apiv3_key"] = "APIv3 密钥应为 32 个字符"
	}
	if !reSerial.MatchString(sec.CertSerial) {
		errs["cert_serial"] = "证书序列号应为十六进制字符"
	}
	if sec.PrivateKeyPEM == "" {
		errs["private_key_pem"] = missing
	} else if _, err := wxpay.ParsePrivateKey(sec.PrivateKeyPEM); err != nil {
		errs["private_key_pem"] = "无法读取商户私钥：应为 apiclient_key.pem 的内容（-----BEGIN PRIVATE KEY-----）"
	}
	if sec.PlatformPublicKeyPEM == "" {
		errs["platform_public_key_pem"] = missing
	} else if _, err := wxpay.ParsePublicKey(sec.PlatformPublicKeyPEM); err != nil {
		errs["platform_public_key_pem"] = "无法读取微信支付公钥：应为 pub_key.pem 的内容（-----BEGIN PUBLIC KEY-----）"
	}
	if !rePubKeyID.MatchString(sec.PlatformPublicKeyID) {
		errs["platform_public_key_id"] = "公钥 ID 应以 PUB_KEY_ID_ 开头"
	}
	return errs
}
