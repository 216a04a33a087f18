package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// Managers set the store's limit; only admins set the merchant's result-page
// slots; clerks and other merchants' staff get 404; bad input changes
// nothing.
func TestPaySettings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	p, _ := e.st.CreateProvider(ctx, "P", "1900000001", "wx", model.ProviderSecrets{}, now)
	m, _, _, _ := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "面馆", SubMchID: "19000001", AdminName: "a"}, time.Hour, now)
	m2, _, _, _ := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "奶茶", SubMchID: "19000002", AdminName: "b"}, time.Hour, now)
	st, _, _, _ := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "一号店"}, time.Hour, now)
	e.staff(storage.StaffInput{MerchantID: m.ID, Role: model.RoleAdmin, Name: "admin"}, "o-admin")
	e.staff(storage.StaffInput{MerchantID: m2.ID, Role: model.RoleAdmin, Name: "other"}, "o-other")
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: st.ID, Role: model.RoleManager, Name: "mgr"}, "o-mgr")
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: st.ID, Role: model.RoleClerk, Name: "clerk"}, "o-clerk")
	admin, mgr := e.wechatLogin("admin", "o-admin"), e.wechatLogin("mgr", "o-mgr")
	path := "/store/" + st.ID + "/pay-settings"
	mk := url.Values{"limit": {"200"}, "ad_image": {"https://cdn.example.com/ad.png"}, "ad_link": {"https://example.com/"}, "coupon": {"满 30 减 5"}}

	for _, tc := range []struct {
		name string
		who  principal
		want int
	}{
		{"clerk", e.wechatLogin("clerk", "o-clerk"), 404},
		{"other merchant's admin", e.wechatLogin("other", "o-other"), 404},
	} {
		if w := e.do(tc.who, http.MethodGet, path, nil); w.Code != tc.want {
			t.Errorf("%s GET: %d", tc.name, w.Code)
		}
		if w := e.do(tc.who, http.MethodPost, path, mk); w.Code != tc.want {
			t.Errorf("%s POST: %d", tc.name, w.Code)
		}
	}
	// A manager sets the limit; the marketing fields are ignored.
	if w := e.do(mgr, http.MethodPost, path, url.Values{"limit": {"88.80"}, "coupon": {"x"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("manager save: %d", w.Code)
	}
	if fen, _ := e.st.StoreLimit(ctx, st.ID); fen != 8880 {
		t.Errorf("limit %d", fen)
	}
	if got, _ := e.st.Marketing(ctx, m.ID); got != (model.Marketing{}) {
		t.Errorf("manager changed marketing: %+v", got)
	}
	// Bad input: nothing changes; the form comes back as typed, with the reason inline.
	for _, bad := range []struct {
		form      url.Values
		msg, kept string
	}{
		{url.Values{"limit": {"1.001"}}, "", `value="1.001"`},
		{url.Values{"limit": {"10"}, "ad_link": {"javascript:alert(1)"}}, "链接必须以 https:// 开头", `value="10"`},
		{url.Values{"limit": {"10"}, "review": {"http://example.com/review"}}, "链接必须以 https:// 开头", `value="http://example.com/review"`},
	} {
		w := e.do(admin, http.MethodPost, path, bad.form)
		body := w.Body.String()
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="settings-error"`) || !strings.Contains(body, bad.msg) ||
			!strings.Contains(body, bad.kept) || !strings.Contains(body, `id="pay-settings"`) {
			t.Errorf("bad %v: %d\n%s", bad.form, w.Code, body)
		}
	}
	if fen, _ := e.st.StoreLimit(ctx, st.ID); fen != 8880 {
		t.Errorf("limit after bad input %d", fen)
	}
	if w := e.do(admin, http.MethodPost, path, mk); w.Code != http.StatusSeeOther {
		t.Fatalf("admin save: %d", w.Code)
	}
	got, _ := e.st.Marketing(ctx, m.ID)
	if diff := cmp.Diff(got, model.Marketing{AdImageURL: "https://cdn.example.com/ad.png", AdLinkURL: "https://example.com/", CouponText: "满 30 减 5"}); diff != "" {
		t.Errorf("marketing (-got +want)\n%s", diff)
	}
	if w := e.do(admin, http.MethodGet, path, nil); w.Code != 200 {
		t.Errorf("admin GET: %d", w.Code)
	}
}
