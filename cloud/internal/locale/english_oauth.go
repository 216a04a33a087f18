package locale

// English for per-provider WeChat login (each provider's official account).
func init() {
	for zh, en := range map[string]string{
		"微信支付账户需要公众号的 AppSecret：顾客通过这个公众号授权，付款才有这个 AppID 下的 openid": "The WeChat Pay account needs the official account's AppSecret: customers sign in through that account, so that a payment carries their openid under this AppID",
		"这个门店暂时不能收款：服务商的公众号与微信支付账户不一致。":                             "This store cannot take payments yet: its provider's official account is not the one its WeChat Pay account pays with.",
	} {
		english[zh] = en
	}
}
