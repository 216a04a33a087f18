package locale

// English for the pay page, result page, payment settings and reports.
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
		"报表":                "Reports",
		"导出 CSV":            "Export CSV",
		"交易":                "Payments",
		"实收":                "Net",
		"笔数":                "Count",
		"日期格式应为 2026-11-25": "Dates look like 2026-11-25.",
		"日期范围不对（最多一年）":      "The date range is wrong (at most a year).",
		"不支持的分组":            "Unknown grouping.",
		"收款设置":              "Payment settings",
		"单笔上限（元，留空为默认 50000）": "Limit per payment (yuan; empty = default 50000)",
		"支付结果页（整个商户）":         "Result page (whole merchant)",
		"广告图片链接":              "Ad image URL",
		"广告跳转链接":              "Ad link",
		"评价链接":                "Review link",
		"优惠券文字":               "Coupon text",
		"链接必须以 https:// 开头":   "Links must start with https://",
		"优惠券文字最多 60 字":        "Coupon text: at most 60 characters.",
		"report.day":          "By day",
		"report.shift":        "By shift",
		"report.clerk":        "By clerk",
		"report.code":         "By code",
		"report.stand":        "By stand",
	} {
		english[zh] = en
	}
}
