package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// TestRolesByAppID: a role is held by an (AppID, openid) pair; Activate's
// rows are the deployment's (""); the same person may hold the same role
// once per AppID.
func TestRolesByAppID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		add := func() model.ActivationCode {
			_, c, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, StoreID: f.store.ID, Role: model.RoleClerk, Name: "小刘"}, ttl, t0)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := s.Activate(ctx, add().Token, model.RoleClerk, f.store.ID, "o-x", false, t0); err != nil {
			t.Fatal(err)
		}
		got, err := s.ActivateUnder(ctx, add().Token, model.RoleClerk, f.store.ID, "wxprov", "o-x", false, t0)
		if err != nil || got.AppID != "wxprov" || got.OpenID != "o-x" {
			t.Fatalf("ActivateUnder = %+v, %v", got, err)
		}
		if _, err := s.ActivateUnder(ctx, add().Token, model.RoleClerk, f.store.ID, "wxprov", "o-x", false, t0); !errors.Is(err, storage.ErrRoleHeld) {
			t.Errorf("the same role twice under one AppID: %v, want ErrRoleHeld", err)
		}
		for _, tc := range []struct {
			app  string
			want int
		}{{"", 1}, {"wxprov", 1}, {"wxother", 0}} {
			roles, err := s.StaffByWeChat(ctx, tc.app, "o-x")
			if err != nil || len(roles) != tc.want {
				t.Errorf("StaffByWeChat(%q) = %d roles, %v; want %d", tc.app, len(roles), err, tc.want)
			}
			for _, r := range roles {
				if r.AppID != tc.app {
					t.Errorf("StaffByWeChat(%q) returned a role under %q", tc.app, r.AppID)
				}
			}
		}
		if legacy, _ := s.StaffByOpenID(ctx, "o-x"); len(legacy) != 1 || legacy[0].AppID != "" {
			t.Errorf("StaffByOpenID = %+v, want the deployment's role only", legacy)
		}
	})
}

// TestWeChatSessionsAndTake: a WeChat session keeps its AppID; a session
// taken is gone, and of concurrent takes exactly one wins.
func TestWeChatSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		tok, err := s.CreateWeChatSession(ctx, "wxprov", "o-y", time.Hour, t0)
		if err != nil {
			t.Fatal(err)
		}
		if app, openid, err := s.WeChatSession(ctx, tok, t0); err != nil || app != "wxprov" || openid != "o-y" {
			t.Errorf("WeChatSession = %q %q %v", app, openid, err)
		}
		if _, _, err := s.WeChatSession(ctx, tok, t0.Add(time.Hour)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("expired session: %v", err)
		}
		// A session made before AppIDs were recorded is the deployment's.
		old, err := s.CreateSession(ctx, storage.SessionWeChat, "o-z", time.Hour, t0)
		if err != nil {
			t.Fatal(err)
		}
		if app, openid, err := s.WeChatSession(ctx, old, t0); err != nil || app != "" || openid != "o-z" {
			t.Errorf("legacy session = %q %q %v", app, openid, err)
		}
	})
}
