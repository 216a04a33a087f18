package locale

// English for the pay page, result page and reports.
func init() {
	for k, zh := range map[string]string{
		"report.day": "按日", "report.shift": "按班次", "report.clerk": "按店员", "report.code": "按收款码", "report.stand": "按收款台",
	} {
		zhKeys[k] = zh
	}
	for zh, en := range map[string]string{
		"微信支付认证商户":    "Verified WeChat Pay merchant",
		"付款金额（元）":     "Amount (yuan)",
		"单笔上限":        "Limit per payment",
		"备注（选填）":      "Note (optional)",
		"付款":          "Pay",
		"正在打开微信支付…":   "Opening WeChat Pay…",
		"查看支付结果":      "See the result",
		"支付成功":        "Paid",
		"订单已关闭":       "Order closed",
		"已取消支付":       "Payment cancelled",
		"支付确认中，请稍候…":  "Confirming the payment…",
		"订单号":         "Order no.",
		"给我们评价":       "Review us",
		"退款":          "Refund",
		"已退款":         "Refunded",
		"退款金额（元）":     "Refund amount (yuan)",
		"最多":          "at most",
		"原因":          "Reason",
		"退款金额超过了可退金额": "The refund is more than what is left of the order.",
		"微信支付暂时不可用，请稍后再试": "WeChat Pay is unavailable right now; please try again later.",
		"报表":     "Reports",
		"导出 CSV": "Export CSV",
		"交易":     "Payments",
		"实收":     "Net",
		"笔数":     "Count",
		"日期":     "Date",
		"班次":     "Shift",
		"店员":     "Clerk",
		"收款码":    "Code",
		"收款台":    "Stand",
	} {
		english[zh] = en
	}
}
