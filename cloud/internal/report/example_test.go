package report_test

import (
	"os"

	"github.com/qrstand/qrstand/cloud/internal/report"
)

// A report as CSV: one row per group and a total; 实收 = 交易 − 退款.
func ExampleReport_WriteCSV() {
	r := report.Report{By: report.ByDay,
		Rows:  []report.Row{{Key: "2026-11-25", Label: "2026-11-25", Count: 3, TotalFen: 4250, RefundCount: 1, RefundFen: 500, NetFen: 3750}},
		Total: report.Row{Label: "合计", Count: 3, TotalFen: 4250, RefundCount: 1, RefundFen: 500, NetFen: 3750}}
	r.WriteCSV(os.Stdout)
	// Output:
	// day,笔数,交易(元),退款笔数,退款(元),实收(元)
	// 2026-11-25,3,42.50,1,5.00,37.50
	// 合计,3,42.50,1,5.00,37.50
}
