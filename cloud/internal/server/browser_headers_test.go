package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/ui"
)

// What a Chromium-based browser (the engine of WeChat's Android in-app
// browser) sends with our own form posts: Origin and Sec-Fetch-Site
// same-origin, which http.CrossOriginProtection lets through; and a form
// from another origin, posted at us, is refused.
func TestBrowserFormPostHeaders(t *testing.T) {
	w := newWalk(t, 60*time.Second)
	ts := w.ts
	ctx := context.Background()
	hash, _ := ui.HashPassword("operator-pass-1")
	if _, err := ts.Storage().CreateConsoleUser(ctx, "op", hash, model.ConsoleOperator, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	type seen struct{ method, path, origin, site string }
	var mu sync.Mutex
	var posts []seen
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			mu.Lock()
			posts = append(posts, seen{r.Method, r.URL.Path, r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site")})
			mu.Unlock()
		}
		ts.Handler().ServeHTTP(w, r)
	}))
	defer front.Close()
	// A page on another origin whose form posts to our logout.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<form id="f" method="post" action="` + front.URL + `/console/logout"><input name="csrf" value="x"></form>`))
	}))
	defer evil.Close()

	bctx := w.ctx
	var status string
	err := chromedp.Do(bctx,
		chromedp.Navigate(front.URL+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "op"),
		chromedp.SendKeys(chromedp.CSS("#password"), "operator-pass-1"),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitNotPresent(chromedp.CSS("#password")),
		chromedp.Navigate(evil.URL),
		chromedp.Submit(chromedp.CSS("#f")),
		chromedp.WaitVisible(chromedp.CSS("#error-message")),
		textInto("#error-message", &status),
	)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("form posts seen: %+v", posts)
	if len(posts) != 2 {
		t.Fatalf("posts seen: %+v, want the login and the cross-site logout", posts)
	}
	if p := posts[0]; p.path != "/console/login" || p.origin != front.URL || p.site != "same-origin" {
		t.Errorf("our own login form sent %+v, want Origin %s and Sec-Fetch-Site same-origin", p, front.URL)
	}
	if p := posts[1]; p.path != "/console/logout" || p.site != "cross-site" && p.site != "same-site" {
		t.Errorf("the other origin's form sent %+v", p)
	}
	if status == "" {
		t.Error("the refusal page has no message")
	}
	// Still logged in: the cross-site logout was refused, not obeyed.
	if posts[0].site == "same-origin" {
		if err := chromedp.Do(bctx, chromedp.Navigate(front.URL+"/console")); err != nil {
			t.Fatal(err)
		}
		has, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`!!document.querySelector("form[action='/console/logout']")`))
		if err != nil {
			t.Fatal(err)
		}
		if !has {
			t.Error("the cross-site POST logged the operator out")
		}
	}
}
