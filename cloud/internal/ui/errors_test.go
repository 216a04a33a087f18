package ui

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// An internal failure shows a generic page; the error text goes to the log.
func TestInternalErrorNotShown(t *testing.T) {
	e := newEnv(t)
	var logBuf bytes.Buffer
	e.h.log = slog.New(slog.NewTextHandler(&logBuf, nil))
	ctx := context.Background()
	p, _ := e.st.CreateProvider(ctx, "P", "1", "wx", model.ProviderSecrets{}, e.clock.Now())
	m, _, _, _ := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "M", SubMchID: "19000001", AdminName: "a"}, time.Hour, e.clock.Now())
	e.staff(storage.StaffInput{MerchantID: m.ID, Role: model.RoleAdmin, Name: "b"}, "o-admin")
	admin := e.wechatLogin("admin", "o-admin")
	// Break the database under the merchant page.
	if _, err := e.st.DB().ExecContext(ctx, "ALTER TABLE stores RENAME TO stores_gone"); err != nil {
		t.Fatal(err)
	}
	w := e.do(admin, "GET", "/merchant/"+m.ID, nil)
	body := w.Body.String()
	if w.Code != http.StatusInternalServerError || !strings.Contains(body, "服务器出错了，请稍后再试") {
		t.Fatalf("status %d\n%s", w.Code, body)
	}
	for _, leak := range []string{"stores", "no such table", "storage:", "sql"} {
		if strings.Contains(strings.ToLower(body[strings.Index(body, "<main>"):]), leak) {
			t.Errorf("page shows internal text %q", leak)
		}
	}
	if !strings.Contains(logBuf.String(), "no such table") {
		t.Errorf("log lacks the error: %s", logBuf.String())
	}
}
