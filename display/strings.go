package display

// Lang selects the UI language.
type Lang int

// Languages. The zero value is Simplified Chinese.
const (
	ZhCN Lang = iota
	EnUS
)

type msg int

const (
	msgHint msg = iota
	msgPairTitle
	msgPairHow
	msgOffline
	msgStillPay
	msgNoVoice
	msgReconnecting
	msgError
	msgLowBattery
	msgCharge
	msgWeChat
	msgAlipay
	msgReceived
	msgPaperLow
	msgPaperOut
	msgUnpaired
	nMsg
)

var messages = [...][nMsg]string{
	ZhCN: {
		msgHint:         "微信扫码付款",
		msgPairTitle:    "设备配对",
		msgPairHow:      "请店长用微信扫码，选择门店",
		msgOffline:      "网络已断开",
		msgStillPay:     "仍可扫码付款",
		msgNoVoice:      "暂无语音播报",
		msgReconnecting: "正在重新连接…",
		msgError:        "设备故障",
		msgLowBattery:   "电量低",
		msgCharge:       "请及时充电",
		msgWeChat:       "微信收款",
		msgAlipay:       "支付宝收款",
		msgReceived:     "收款",
		msgPaperLow:     "纸少",
		msgPaperOut:     "缺纸",
		msgUnpaired:     "尚未配对",
	},
	EnUS: {
		msgHint:         "Scan to pay",
		msgPairTitle:    "Pair stand",
		msgPairHow:      "Manager: scan in WeChat, pick the store",
		msgOffline:      "Offline",
		msgStillPay:     "QR still works",
		msgNoVoice:      "No voice alerts",
		msgReconnecting: "Reconnecting…",
		msgError:        "Error",
		msgLowBattery:   "Low battery",
		msgCharge:       "Please charge",
		msgWeChat:       "WeChat Pay",
		msgAlipay:       "Alipay",
		msgReceived:     "Received",
		msgPaperLow:     "Paper",
		msgPaperOut:     "No paper",
		msgUnpaired:     "Not paired",
	},
}

func (l Lang) t(m msg) string {
	if l < 0 || int(l) >= len(messages) {
		l = ZhCN
	}
	return messages[l][m]
}
