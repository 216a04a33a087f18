package locale

// English for the sandbox banner, the login limiter and refund errors.
func init() {
	for zh, en := range map[string]string{
		"沙箱模式：支付由模拟器完成，不会真实收款。切勿用于真实门店。": "SANDBOX: payments go to a simulator and no money moves. Never use this for a real store.",
		"订单尚未支付，不能退款":                        "The order is not paid; there is nothing to refund.",
		"只有店长和管理员可以拥有退款权限，店员不能退款。":           "Only managers and admins can hold the refund permission; clerks cannot refund.",
		"这个账号近期有多次登录失败。为保护账号，请等待下面的时间后再次提交。": "This account has seen many failed logins lately. To protect it, wait the time below and submit again.",
		"可再次提交的等待时间（秒）：":                     "Seconds to wait before submitting again: ",
	} {
		english[zh] = en
	}
}
