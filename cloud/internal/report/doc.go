// Package report sums a store's payments for managers, admins and
// providers (issue 6): by day (Asia/Shanghai), shift, clerk, code or stand,
// with 实收 (net) = 交易 (payments) − 退款 (refunds), and writes CSV.
//
// Payments count on the day they were paid, refunds on the day they
// settled; a refund is attributed to its order's shift, clerk and code.
// "By stand" counts the events each stand acknowledged (announced and
// printed), so a store with two stands shows each payment under both.
package report
