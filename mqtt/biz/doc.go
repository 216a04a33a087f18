// Package biz holds the business units every part of QR Stand agrees on:
// money as int64 fen, the business time zone and day, and the timestamp
// text that storage uses.
//
// It imports only the standard library, so the cloud, the stand firmware
// and the display and printer libraries can all link it: display and
// printer import nothing else of this module. The wire (package mqtt)
// carries amounts as amount_fen; this package is how they become text.
//
// # Money
//
// An amount is an int64 count of fen (分, 1/100 yuan); no float ever
// touches one. [FormatFen] is the one way fen becomes text ("12.50"),
// [Yuan] adds the full-width yuan sign used on screens and receipts
// ("￥12.50"), and [ParseYuan] is the one strict parser of yuan text. What
// a customer may type beyond that (full-width digits, surrounding space,
// a store's per-payment limit, messages in zh-CN and English) is the
// cloud's customer-facing layer, built on top of ParseYuan.
//
// [MaxFen] (999 999 999 999.99 yuan) is the largest amount any part
// accepts. It is far above any real payment, every value up to it is an
// exact float64 (below 2⁵³, so a JSON number survives a JavaScript
// reader), and more than 90 000 such amounts still sum without
// overflowing int64, so day totals are safe.
//
// # Business time
//
// Times are stored in UTC; people see them in [Zone], Asia/Shanghai, and
// a business day ([Day]) runs midnight to midnight there. China has kept
// UTC+8 without daylight saving since 1991, so where the host has no tz
// database the zone falls back to a fixed UTC+8 and every time since then
// reads the same.
package biz
