// Package payment is the money path between the pay page, WeChat Pay and
// the outbox (DESIGN.md §5 and §6; issue 6): it creates orders (unique
// out_trade_no, time_expire in +08:00, amounts from money.ParseYuan under the
// store's limit), turns verified notifies and active queries into the
// NOTPAY→SUCCESS transition — `UPDATE … WHERE state = 'NOTPAY'` plus the
// outbox rows for every stand of the store and every staff message in the
// same transaction — cross-checks every notify against our order
// (sp_mchid, sub_mchid, out_trade_no, amount; a mismatch is rejected and
// logged as an alert), refunds (partial, idempotent by out_refund_no,
// permission-checked), and reconciles: queries orders without a notify,
// closes expired ones, polls refunds in progress.
//
// WeChat is reached only through cloud/internal/wxpay (the official SDK);
// delivery of the outbox rows is cloud/internal/outbox's job.
package payment
