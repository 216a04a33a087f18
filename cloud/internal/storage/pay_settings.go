package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// StoreLimit returns a store's largest single payment in fen, or 0 when
// none is set (the caller's default applies).
func (s *Storage) StoreLimit(ctx context.Context, storeID string) (int64, error) {
	var fen int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT limit_fen FROM store_pay_settings WHERE store_id = ?`), storeID).Scan(&fen)
	if err = notFound(err); errors.Is(err, ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("storage: store limit: %w", err)
	}
	return fen, nil
}

// SetStoreLimit sets a store's largest single payment (0 removes it).
func (s *Storage) SetStoreLimit(ctx context.Context, storeID string, fen int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO store_pay_settings (store_id, limit_fen) VALUES (?, ?)
		ON CONFLICT (store_id) DO UPDATE SET limit_fen = excluded.limit_fen`), storeID, fen)
	if err != nil {
		return fmt.Errorf("storage: set store limit: %w", err)
	}
	return nil
}

// Marketing returns a merchant's result-page slots (zero when unset).
func (s *Storage) Marketing(ctx context.Context, merchantID string) (model.Marketing, error) {
	var m model.Marketing
	err := s.db.QueryRowContext(ctx, s.q(`SELECT ad_image_url, ad_link_url, review_url, coupon_text FROM merchant_marketing WHERE merchant_id = ?`), merchantID).
		Scan(&m.AdImageURL, &m.AdLinkURL, &m.ReviewURL, &m.CouponText)
	if err = notFound(err); errors.Is(err, ErrNotFound) {
		return model.Marketing{}, nil
	} else if err != nil {
		return m, fmt.Errorf("storage: marketing: %w", err)
	}
	return m, nil
}

// SetMarketing replaces a merchant's result-page slots.
func (s *Storage) SetMarketing(ctx context.Context, merchantID string, m model.Marketing) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO merchant_marketing (merchant_id, ad_image_url, ad_link_url, review_url, coupon_text) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (merchant_id) DO UPDATE SET ad_image_url = excluded.ad_image_url, ad_link_url = excluded.ad_link_url,
		review_url = excluded.review_url, coupon_text = excluded.coupon_text`), merchantID, m.AdImageURL, m.AdLinkURL, m.ReviewURL, m.CouponText)
	if err != nil {
		return fmt.Errorf("storage: set marketing: %w", err)
	}
	return nil
}
