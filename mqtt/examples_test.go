package mqtt

import "time"

// Fixed example messages, one per kind: the golden files are these, encoded.
var (
	exampleTS = time.Date(2026, 11, 25, 4, 5, 6, 789_000_000, time.UTC)
	exampleID = "01KAXQ2J8N5W6Y7Z8A9B0C1D2E"
)

func examples() map[Kind]Body {
	paid := exampleTS.Add(-3 * time.Second)
	return map[Kind]Body{
		KindPaymentPaid: &PaymentPaid{
			OrderNo: "QS20261125120503A1B2C3", TransactionID: "4200002345202611251234567890",
			Channel: ChannelWeChat, AmountFen: 1250, PaidAt: paid,
			StoreID: "st_01KAXQ", StoreName: "老王面馆（人民路店）", CodeName: "门店码",
			Clerk: "小李", Payer: "o8x…3kQ", Remark: "加辣", OrderURL: "https://pay.example.com/o/QS20261125120503A1B2C3",
		},
		KindPaymentRefunded: &PaymentRefunded{
			OrderNo: "QS20261125120503A1B2C3", RefundNo: "RF20261125130000X9", Channel: ChannelWeChat,
			AmountFen: 1250, RefundFen: 500, RefundedTotalFen: 500, RefundedAt: exampleTS,
			StoreID: "st_01KAXQ", StoreName: "老王面馆（人民路店）", Operator: "王店长", Reason: "少上一个菜",
		},
		KindStoreConfig: &StoreConfig{
			Version: 7, Bound: true, StoreID: "st_01KAXQ", StoreName: "老王面馆（人民路店）",
			MerchantName: "老王餐饮", QRURL: "https://pay.example.com/s/Q7kP2x",
			Announce: AnnounceConfig{Enabled: true, Volume: 80, WindowSeconds: 120, QuietStart: "22:00", QuietEnd: "07:30", Liang: true},
			Print:    PrintConfig{Enabled: true, Copies: 1, OrderQR: true},
		},
		KindShiftClosed: &ShiftClosed{
			ShiftID: "sh_01KAXR", StoreID: "st_01KAXQ", StoreName: "老王面馆（人民路店）", Clerk: "小李",
			Start: exampleTS.Add(-8 * time.Hour), End: exampleTS, Count: 57, TotalFen: 231450,
			RefundCount: 1, RefundFen: 500, NetFen: 230950,
		},
		KindStandCommand: &StandCommand{Command: CommandReprint, EventID: "01KAXQ1Z0000000000000000AB", By: "王店长"},
		KindAck:          &Ack{Ref: "01KAXQ1Z0000000000000000AB", Result: AckDone},
		KindStatus: &Status{
			Firmware: "0.1.0", UptimeSec: 86400, OnBattery: true, BatteryPct: 63, BatteryMV: 3840,
			Paper: PaperNearEnd, PrinterOnline: true, Network: "wifi", SignalDBm: -61, Volume: 80, LastSeq: 42,
			PrinterModel: "58mm", Pending: 2,
		},
		KindHello:       &Hello{Firmware: "0.1.0", Model: "pi-zero2w-2in13", BootID: "b7f3c1", Paired: true, ConfigVersion: 7, LastSeq: 42},
		KindSync:        &Sync{Pending: 3, ThroughSeq: 45},
		KindPairRequest: &PairRequest{Firmware: "0.1.0", Model: "pi-zero2w-2in13", Panel: "waveshare2in13v2", Printer: "58mm"},
		KindPairCode:    &PairCode{Code: "K7M2Q9", URL: "https://pay.example.com/pair/stand-7f3a9c?c=K7M2Q9", ExpiresAt: exampleTS.Add(10 * time.Minute)},
		KindPresence:    &Presence{Online: false, Reason: "lost"},
		KindLedger: &Ledger{
			Ref: "01KAXQ1Z0000000000000000AB", Event: KindPaymentPaid, OrderNo: "QS20261125120503A1B2C3",
			JournaledAt: paid.Add(400 * time.Millisecond), Announce: AnnounceSpoken, AnnouncedAt: paid.Add(time.Second),
			Print: PrintPrinted, PrintedAt: paid.Add(3 * time.Second),
		},
		KindUpdateState: &UpdateState{Running: "v1.3.0", Model: "qrstand-pi", Arch: "arm64", State: UpdateRolledBack, Target: "v1.4.0", Rollout: "ro_01KAXT", Error: "no MQTT connection within 2m0s"},
	}
}

func exampleMessage(b Body) Message {
	m := Message{V: Version, ID: exampleID, Type: b.Kind(), TS: exampleTS, Body: b}
	switch b.Kind() {
	case KindPaymentPaid, KindPaymentRefunded, KindShiftClosed:
		m.Seq = 42
	}
	return m
}
