package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/cloud/internal/report"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
	"github.com/qrstand/qrstand/mqtt/biz"
)

func payVia(t *testing.T, w *paytest.World, amount string, clerk bool) string {
	t.Helper()
	in := payment.CreateInput{Store: w.Store, Amount: amount, PayerOpenID: paytest.PayerID}
	if clerk {
		in.Clerk = w.Clerk
	}
	c, err := w.Svc.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
		t.Fatal(err)
	}
	w.WaitDeliveries(t, paytest.AckedFor(c.Order.OutTradeNo))
	return c.Order.OutTradeNo
}

func TestReport(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) { testReport(t, d) })
	}
}

func testReport(t *testing.T, d database.Dialect) {
	w := paytest.New(t, paytest.Options{Dialect: d})
	ctx := context.Background()
	a := payVia(t, w, "100.00", false)
	payVia(t, w, "20.50", true)
	rno := payment.NewOutRefundNo()
	if _, err := w.Svc.Refund(ctx, w.AdminRoles(), payment.RefundInput{OutTradeNo: a, OutRefundNo: rno, AmountFen: 3000}); err != nil {
		t.Fatal(err)
	}
	w.WaitDeliveries(t, func(ds []wechatsim.Delivery) bool {
		for _, d := range ds {
			if d.OutRefundNo == rno && d.Acked() {
				return true
			}
		}
		return false
	})
	// Stand A acknowledged everything so far; stand B nothing.
	for _, ref := range []string{a, rno} {
		rows, _ := w.St.OutboxByRef(ctx, ref)
		for _, r := range rows {
			if r.StandID == paytest.StandA {
				if ok, err := w.St.OutboxAcked(ctx, r.StandID, r.ID, time.Now()); !ok || err != nil {
					t.Fatalf("ack %s: %v %v", r.ID, ok, err)
				}
			}
		}
	}
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	total := report.Row{Key: "total", Label: "合计", Count: 2, TotalFen: 12050, RefundCount: 1, RefundFen: 3000, NetFen: 9050}
	today := time.Now().In(biz.Zone).Format("2006-01-02")
	shift, err := w.St.OpenShiftOf(ctx, w.Store.ID, w.Clerk.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		by   string
		rows []report.Row
	}{
		{report.ByDay, []report.Row{{Key: today, Label: today, Count: 2, TotalFen: 12050, RefundCount: 1, RefundFen: 3000, NetFen: 9050}}},
		{report.ByShift, []report.Row{{Key: shift.ID, Label: "小张 " + shift.StartsAt.In(biz.Zone).Format("01-02 15:04"), Count: 2, TotalFen: 12050, RefundCount: 1, RefundFen: 3000, NetFen: 9050}}},
		// The clerk was on shift for both; the second came through the clerk's own code.
		{report.ByClerk, []report.Row{{Key: w.Clerk.ID, Label: "小张", Count: 2, TotalFen: 12050, RefundCount: 1, RefundFen: 3000, NetFen: 9050}}},
		{report.ByCode, sortRows([]report.Row{
			{Key: "store", Label: "门店码", Count: 1, TotalFen: 10000, RefundCount: 1, RefundFen: 3000, NetFen: 7000},
			{Key: w.Clerk.ID, Label: "店员码 小张", Count: 1, TotalFen: 2050, NetFen: 2050},
		})},
		{report.ByStand, []report.Row{{Key: paytest.StandA, Label: paytest.StandA, Count: 1, TotalFen: 10000, RefundCount: 1, RefundFen: 3000, NetFen: 7000}}},
	} {
		t.Run(tc.by, func(t *testing.T) {
			rep, err := report.Build(ctx, w.St, w.Store, tc.by, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rep.Rows, tc.rows); diff != "" {
				t.Errorf("rows (-got +want)\n%s", diff)
			}
			if tc.by != report.ByStand {
				if diff := cmp.Diff(rep.Total, total); diff != "" {
					t.Errorf("total (-got +want)\n%s", diff)
				}
			}
		})
	}
	rep, err := report.Build(ctx, w.St, w.Store, report.ByDay, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := "day,笔数,交易(元),退款笔数,退款(元),实收(元)\n" + today + ",2,120.50,1,30.00,90.50\n合计,2,120.50,1,30.00,90.50\n"
	if diff := cmp.Diff(buf.String(), want); diff != "" {
		t.Errorf("csv (-got +want)\n%s", diff)
	}
	// Outside the window: nothing.
	rep, _ = report.Build(ctx, w.St, w.Store, report.ByDay, to, to.Add(time.Hour))
	if len(rep.Rows) != 0 || rep.Total.Count != 0 {
		t.Errorf("empty window: %+v", rep)
	}
	if _, err := report.Build(ctx, w.St, w.Store, "week", from, to); err == nil || !strings.Contains(err.Error(), "unknown grouping") {
		t.Errorf("bad grouping: %v", err)
	}
}

func sortRows(r []report.Row) []report.Row {
	if r[0].Key > r[1].Key {
		r[0], r[1] = r[1], r[0]
	}
	return r
}
