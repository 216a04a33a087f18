package ui

import (
	"errors"
	"net/http"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/report"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// storeReport: a store's payments for its managers and its merchant's
// admins.
func (h *Handler) storeReport(w http.ResponseWriter, r *http.Request) {
	st, _, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	h.renderReport(w, r, st, "/store/"+st.ID+"/report")
}

// consoleStoreReport: the same for the provider that owns the merchant.
func (h *Handler) consoleStoreReport(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return
	}
	st, err := h.st.Store(r.Context(), r.PathValue("id"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	m, err := h.st.Merchant(r.Context(), st.MerchantID)
	if err != nil || !authz.ProviderOwns(u, m) {
		h.notFound(w, r)
		return
	}
	h.renderReport(w, r, st, "/console/stores/"+st.ID+"/report")
}

// renderReport reads by (day|shift|clerk|code|stand), from and to (dates in
// Asia/Shanghai, to inclusive; default the last 7 days) and format=csv.
func (h *Handler) renderReport(w http.ResponseWriter, r *http.Request, st model.Store, self string) {
	q := r.URL.Query()
	by := q.Get("by")
	if by == "" {
		by = report.ByDay
	}
	today := h.now().In(biz.Zone)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, biz.Zone)
	from, to := today.AddDate(0, 0, -6), today
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, biz.Zone)
		if err != nil {
			h.badInput(w, r, "日期格式应为 2026-11-25")
			return
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, biz.Zone)
		if err != nil {
			h.badInput(w, r, "日期格式应为 2026-11-25")
			return
		}
		to = t
	}
	if to.Before(from) || to.Sub(from) > 366*24*time.Hour {
		h.badInput(w, r, "日期范围不对（最多一年）")
		return
	}
	rep, err := report.Build(r.Context(), h.st, st, by, from, to.AddDate(0, 0, 1))
	if errors.Is(err, report.ErrBy) {
		h.badInput(w, r, "不支持的分组")
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="report-`+by+`-`+from.Format("20060102")+`-`+to.Format("20060102")+`.csv"`)
		w.Write([]byte("\ufeff")) // so spreadsheet programs read UTF-8
		if err := rep.WriteCSV(w); err != nil {
			h.log.Error("ui: report csv", "err", err)
		}
		return
	}
	type line struct {
		report.Row
		Total, Refund, Net string
	}
	var lines []line
	for _, x := range append(append([]report.Row(nil), rep.Rows...), rep.Total) {
		lines = append(lines, line{x, biz.FormatFen(x.TotalFen), biz.FormatFen(x.RefundFen), biz.FormatFen(x.NetFen)})
	}
	h.render(w, r, http.StatusOK, "report", view{"Store": st, "By": by, "From": from.Format("2006-01-02"), "To": to.Format("2006-01-02"),
		"Lines": lines, "Self": self, "Groupings": []string{report.ByDay, report.ByShift, report.ByClerk, report.ByCode, report.ByStand}})
}
