package printer

import "time"

// at is a fixed instant for reproducible receipts: 2026-11-25 21:03:04
// in Asia/Shanghai.
func at(hms string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", "2026-11-25 "+hms, time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// fixtures is one document of every layout, named for golden files.
func fixtures() []struct {
	name string
	doc  Document
} {
	return []struct {
		name string
		doc  Document
	}{
		{"payment", Payment{
			Store: "老王牛肉面（人民路店）", Channel: WeChat, AmountFen: 1250, PaidAt: at("21:03:04"),
			OrderNo: "QS20261125210304000017", TransactionID: "4200002417202611251234567890",
			Payer: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", Clerk: "张三",
			OrderURL: "https://qrstand.example/o/QS20261125210304000017",
		}},
		{"payment_reprint", Payment{
			Store: "便利店", Channel: Alipay, AmountFen: 99999999, PaidAt: at("08:00:00"),
			OrderNo: "QS20261125080000000001", TransactionID: "2026112522001400001234567890",
			Payer: "李四", Reprint: true,
		}},
		{"refund", Refund{
			Store: "老王牛肉面（人民路店）", Channel: WeChat, AmountFen: 500, OrderAmountFen: 1250,
			RefundedAt: at("21:30:00"), OrderNo: "QS20261125210304000017", RefundNo: "RF20261125213000000003",
			Operator: "王店长", Reason: "少上一份小菜，顾客要求部分退款并表示下次还来",
		}},
		{"shift", Shift{
			Store: "老王牛肉面（人民路店）", Clerk: "张三", Start: at("08:00:00"), End: at("17:30:00"),
			Count: 23, TotalFen: 123450, RefundCount: 1, RefundFen: 1000, PrintedAt: at("17:30:05"),
		}},
		{"daily", DailySummary{
			Store: "老王牛肉面（人民路店）", Day: at("12:00:00"),
			Channels:    []ChannelTotal{{WeChat, 40, 245600}, {Alipay, 7, 30150}},
			Clerks:      []ClerkTotal{{"张三", 23, 123450}, {"李四", 24, 152300}},
			RefundCount: 2, RefundFen: 1500, PrintedAt: at("22:00:00"),
		}},
		{"catchup", CatchUp{
			Store: "便利店", PrintedAt: at("09:15:00"),
			Payments: []CatchUpPayment{
				{at("09:01:10"), WeChat, 1250, "QS20261125090110000001"},
				{at("09:05:42"), Alipay, 3000, "QS20261125090542000002"},
				{at("09:11:03"), WeChat, 300, "QS20261125091103000003"},
			},
		}},
		{"testpage", TestPage{
			Store: "便利店", Device: "qrs-7f3a9c", Firmware: "v0.1.0", PrintedAt: at("10:00:00"),
			QRURL: "https://qrstand.example/d/qrs-7f3a9c",
		}},
	}
}

// profiles are the printer profiles golden files are made for: both paper
// widths, and 58 mm without native QR to cover raster QR.
func profiles() []Profile {
	raster := Profile58()
	raster.Name = "58mm-raster"
	raster.NativeQR = false
	return []Profile{Profile58(), Profile80(), raster}
}
