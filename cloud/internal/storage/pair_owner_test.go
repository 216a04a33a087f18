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

// TestPairOnlyIntoOwnProvider: a stand provider A registered cannot be
// paired into provider B's store, even with its valid pairing code; the
// refusal reads like a wrong code and leaves the code usable for A's store.
func TestPairOnlyIntoOwnProvider(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		now := time.Now()
		store := func(provider, sub string) (model.Provider, model.Store) {
			p, err := s.CreateProvider(ctx, provider, "19000000"+sub, "wx", model.ProviderSecrets{}, now)
			if err != nil {
				t.Fatal(err)
			}
			m, _, _, err := s.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "面馆" + sub, SubMchID: "190000010" + sub, AdminName: "a"}, time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			st, _, _, err := s.CreateStore(ctx, m.ID, storage.StoreInput{Name: "一号店"}, time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			return p, st
		}
		pa, storeA := store("A", "1")
		_, storeB := store("B", "2")
		if err := s.RegisterProviderStand(ctx, pa.ID, "qrs-owned-0001", "sec", now); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPairCode(ctx, "qrs-owned-0001", "11112222", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PairStand(ctx, "qrs-owned-0001", "11112222", storeB.ID, now); !errors.Is(err, storage.ErrPairCode) {
			t.Fatalf("paired into another provider's store: %v", err)
		}
		st, err := s.PairStand(ctx, "qrs-owned-0001", "11112222", storeA.ID, now)
		if err != nil || st.StoreID != storeA.ID {
			t.Fatalf("pairing into the owner's store: %+v %v", st, err)
		}
	})
}
