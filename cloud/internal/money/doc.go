// Package money is the customer-facing layer over package biz, which holds
// the one strict parser and the one formatter for amounts of money in QR
// Stand.
//
// Money is an int64 count of fen (分, 1/100 yuan) everywhere; no float ever
// touches an amount. ParseYuan turns what a person typed in yuan ("12.5")
// into fen; biz.FormatFen turns fen back into the canonical text ("12.50").
//
// Input rules (DESIGN.md §6): at most two decimals, greater than zero, not
// above a limit the caller passes in (a store's per-payment limit).
// Surrounding white space is trimmed, and a bare leading or trailing point
// is completed (".5" is 0.5, "12." is 12). Full-width digits and the full-width
// full stop (as typed with a Chinese IME in full-width mode, e.g. "１２．５")
// are normalised to ASCII, because they are unambiguous and a customer
// cannot see the difference; everything else that is not a plain decimal —
// signs, exponents, thousands separators, commas as a decimal mark, letters —
// is rejected with a message a customer can act on, in zh-CN and English.
package money
