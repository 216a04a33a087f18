package locale

// English for the store-operations pages: shifts and the 交班单, the
// orders list, staff messages, refund rights, cards.
func init() {
	for k, zh := range map[string]string{
		"order.NOTPAY": "待支付", "order.SUCCESS": "已支付", "order.REFUND": "有退款", "order.CLOSED": "已关闭",
		"refund.PENDING": "退款提交中", "refund.PROCESSING": "退款处理中", "refund.SUCCESS": "退款成功", "refund.FAILED": "退款失败",
	} {
		zhKeys[k] = zh
	}
	for zh, en := range map[string]string{
		"order.NOTPAY": "Unpaid", "order.SUCCESS": "Paid", "order.REFUND": "Refunded (part or all)", "order.CLOSED": "Closed",
		"refund.PENDING": "Submitting", "refund.PROCESSING": "Processing", "refund.SUCCESS": "Refunded", "refund.FAILED": "Failed",

		"已下班。交班单已发送到收款台打印。": "Clocked out. The handover slip is printing on the stand.",
		"其他当班店员":     "Other clerks on duty",
		"无":          "none",
		"班次":         "Shift",
		"现在":         "now",
		"笔":          "payments",
		"订单":         "Orders",
		"日期":         "Date",
		"全部":         "All",
		"收款码":        "Code",
		"门店码":        "Store code",
		"店员码":        "Clerk code",
		"接收顾客支付成功消息": "Receive payment messages",
		"状态":         "State",
		"筛选":         "Filter",
		"替他下班":       "Clock them out",
		"店长结束":       "ended by manager",
		"每个班次统计门店码和该店员自己的店员码在班上收到的款项；多人同时当班时，门店码的收款会出现在每个人的交班单上。": "Each shift counts what the store code and the clerk's own clerk code took while the shift was open; when several clerks are on duty, store-code payments appear on each one's slip.",
		"收款码已绑定到本门店":        "Code bound to this store",
		"门店管理":              "Run the store",
		"今日订单":              "Today's orders",
		"收款设置":              "Payment settings",
		"我接收本店的支付消息":        "I receive this store's payment messages",
		"我接收所有门店的支付消息":      "I receive payment messages of every store",
		"生成店员收款码":           "Give the clerk a personal code",
		"已绑定的收款码（空码）":       "Bound plates",
		"全部交班记录":            "All shifts",
		"取消退款权限":            "Revoke refund right",
		"授予退款权限":            "Grant refund right",
		"商户管理码 · 仅限商户管理员扫码": "Merchant management code · for merchant admins only",
		"身份激活码 · 微信扫码激活":    "Activation code · scan in WeChat",
		"微信扫码付款":            "Scan in WeChat to pay",
		"日期格式应为 2026-11-25": "Dates look like 2026-11-25",
		"退款金额超过了可退金额":       "The refund is more than what is left of the order",
		"页面已过期，请返回刷新后重试":    "This page has expired; go back, reload and try again",
		"微信支付暂时不可用，请稍后再试":   "WeChat Pay is unavailable at the moment; try again later",
		"链接必须以 https:// 开头": "Links must start with https://",
		"优惠券文字最多 60 字":      "The coupon text is at most 60 characters",
	} {
		if _, ok := english[zh]; !ok {
			english[zh] = en
		}
	}
}

// English for the provider's account settings.
func init() {
	for zh, en := range map[string]string{
		"已保存":          "Saved",
		"支付成功通知的模板 ID": "Template id of the payment message",
		"模板 ID 格式不对":   "The template id is malformed",
		"有几项需要修改，见下方提示。出于安全，密钥类字段没有保留，请重新填写。": "Some fields need changes (see below). For safety, secret fields were not kept: type them again.",
		"已启用": "Active",
		"未启用": "Not active",
		"你的商户用你自己的微信支付服务商账户收款。": "Your merchants are paid through your own WeChat Pay partner account.",
		"支付通知地址": "Notify URL",
		"填写完整的微信支付服务商账户后，你的商户用它收款；在此之前使用本平台的默认账户。": "Once your WeChat Pay partner account is complete, your merchants are paid through it; until then through this platform's default account.",
		"公众号":                       "Official account",
		"微信支付服务商账户":                 "WeChat Pay partner account",
		"APIv3 密钥":                  "APIv3 key",
		"微信支付公钥 (PEM)":              "WeChat Pay public key (PEM)",
		"微信支付公钥 ID":                 "WeChat Pay public key ID",
		"AppID 应为 wx 加 16 位十六进制字符":  "The AppID is wx followed by 16 hex characters",
		"AppSecret 应为 32 位字母或数字":    "The AppSecret is 32 letters or digits",
		"填写了 AppSecret，请同时填写 AppID": "With an AppSecret, fill in the AppID too",
		"微信支付账户需要填写此项":              "The WeChat Pay account needs this field",
		"服务商商户号应为 8 到 12 位数字":       "The partner merchant id is 8 to 12 digits",
		"微信支付 JSAPI 需要公众号 AppID":    "WeChat Pay JSAPI needs the official account AppID",
		"APIv3 密钥应为 32 个字符":         "The APIv3 key is 32 characters",
		"证书序列号应为十六进制字符":             "The certificate serial is hexadecimal",
		"无法读取商户私钥：应为 apiclient_key.pem 的内容（-----BEGIN PRIVATE KEY-----）": "Cannot read the merchant private key: paste apiclient_key.pem (-----BEGIN PRIVATE KEY-----)",
		"无法读取微信支付公钥：应为 pub_key.pem 的内容（-----BEGIN PUBLIC KEY-----）":      "Cannot read the WeChat Pay public key: paste pub_key.pem (-----BEGIN PUBLIC KEY-----)",
		"公钥 ID 应以 PUB_KEY_ID_ 开头":    "The public key id starts with PUB_KEY_ID_",
		"这个门店暂时不能收款：服务商还没有配置微信支付账户。": "This store cannot take payments yet: its provider has not set up a WeChat Pay account.",
	} {
		if _, ok := english[zh]; !ok {
			english[zh] = en
		}
	}
}
