package ui

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/locale"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// CredentialHook is told when a stand's secret was rotated or revoked, so
// every broker refuses the old secret at once: the embedded broker ends the
// live session (its authentication reads the database on every CONNECT);
// an external broker (Mosquitto's dynamic security, EMQX) updates or
// removes its client here. Errors are logged; the database stays the truth.
type CredentialHook interface {
	StandCredentialsChanged(ctx context.Context, standID, secret string, change CredentialChange) error
}

// CredentialChange says what happened to a stand's secret.
type CredentialChange int

// What a CredentialHook is told: a new stand (with its secret), a new
// secret for a known stand, or a stand whose every secret is refused
// from now on (secret empty).
const (
	CredentialsRegistered CredentialChange = iota
	CredentialsRekeyed
	CredentialsRevoked
)

func (h *Handler) fleetRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /console/stands", h.fleetList)
	mux.HandleFunc("POST /console/stands", h.fleetRegister)
	mux.HandleFunc("GET /console/stands/{id}", h.fleetShow)
	mux.HandleFunc("POST /console/stands/{id}/rekey", h.fleetRekey)
	mux.HandleFunc("POST /console/stands/{id}/revoke", h.fleetRevoke)
	mux.HandleFunc("POST /console/stands/{id}/unpair", h.fleetUnpair)
	mux.HandleFunc("GET /console/unannounced", h.unannouncedReport)
	mux.HandleFunc("GET /store/{id}/stands", h.storeStands)
	mux.HandleFunc("POST /store/{id}/alerts", h.storeAlertsSet)
}

// provisionFile is the stand's provisioning file (qrstand -provision FILE).
type provisionFile struct {
	DeviceID string `json:"device_id"`
	Secret   string `json:"secret"`
	Broker   string `json:"broker"`
	Cloud    string `json:"cloud,omitempty"`
}

// fleetFilter reads the list's filters; a provider's list is always
// limited to its own stands.
func fleetFilter(u model.ConsoleUser, r *http.Request) storage.FleetFilter {
	q := r.URL.Query()
	f := storage.FleetFilter{MerchantID: q.Get("merchant"), StoreID: q.Get("store")}
	switch p := q.Get("presence"); p {
	case "online", "offline":
		f.Presence = p
	}
	if u.Role != model.ConsoleOperator {
		f.ProviderID = u.ProviderID
	}
	return f
}

// fleetList lists the stands the console user may see, with their health.
func (h *Handler) fleetList(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	f := fleetFilter(u, r)
	stands, err := h.st.ListFleet(ctx, f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	v := view{"User": u, "Stands": h.fleetRows(stands), "Filter": f, "Now": h.now()}
	if u.ProviderID != "" {
		merchants, err := h.st.MerchantsByProvider(ctx, u.ProviderID)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		v["Merchants"] = merchants
		for _, m := range merchants { // only the provider's own merchant's stores
			if m.ID == f.MerchantID {
				if stores, err := h.st.StoresByMerchant(ctx, m.ID); err == nil {
					v["Stores"] = stores
				}
			}
		}
	}
	h.render(w, r, http.StatusOK, "fleet", v)
}

// fleetRow is one stand in a list, with its health put into words.
type fleetRow struct {
	storage.FleetStand
	Paper   string // translated paper state
	PaperOK bool
	Battery string
	Signal  string
	Alerts  []string
}

func (h *Handler) fleetRows(stands []storage.FleetStand) []fleetRow {
	out := make([]fleetRow, len(stands))
	for i, s := range stands {
		row := fleetRow{FleetStand: s}
		hl := s.Health
		switch hl.Paper {
		case mqtt.PaperOK:
			row.Paper, row.PaperOK = "正常", true
		case mqtt.PaperNearEnd:
			row.Paper = "将用尽"
		case mqtt.PaperOut:
			row.Paper = "缺纸"
		case mqtt.PaperUnknown:
			row.Paper = "无打印机"
		}
		if hl.BatteryPct >= 0 && !hl.StatusAt.IsZero() {
			row.Battery = strconv.Itoa(hl.BatteryPct) + "%"
		}
		if hl.SignalDBm != 0 {
			row.Signal = strconv.Itoa(hl.SignalDBm) + " dBm"
		}
		out[i] = row
	}
	return out
}

// fleetRegister registers a new stand for the provider and shows its
// provisioning file once: only the secret's hash is kept.
func (h *Handler) fleetRegister(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return
	}
	id := storage.NewStandID()
	secret := mqtt.NewSecret()
	if err := h.st.RegisterProviderStand(r.Context(), u.ProviderID, id, secret, h.now()); err != nil {
		h.internal(w, r, err)
		return
	}
	h.credentialsChanged(r.Context(), id, secret, CredentialsRegistered)
	h.log.Info("ui: stand registered", "stand", id, "provider", u.ProviderID, "by", u.Username)
	h.showProvision(w, r, u, id, secret, false)
}

// showProvision renders the provisioning file of a new or re-keyed stand.
func (h *Handler) showProvision(w http.ResponseWriter, r *http.Request, u model.ConsoleUser, id, secret string, rekeyed bool) {
	file, _ := json.MarshalIndent(provisionFile{DeviceID: id, Secret: secret, Broker: h.cfg.StandBroker, Cloud: h.cfg.BaseURL}, "", "  ")
	file = append(file, '\n')
	h.render(w, r, http.StatusOK, "fleet_provision", view{"User": u, "StandID": id, "File": string(file), "Rekeyed": rekeyed,
		"Download": "data:application/json;base64," + base64.StdEncoding.EncodeToString(file)})
}

// fleetStandFor loads a stand the console user may manage, or answers 404.
func (h *Handler) fleetStandFor(w http.ResponseWriter, r *http.Request) (model.ConsoleUser, storage.FleetStand, bool) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return u, storage.FleetStand{}, false
	}
	f, err := h.st.FleetStand(r.Context(), r.PathValue("id"))
	if err != nil || (u.Role != model.ConsoleOperator && !f.OwnedBy(u.ProviderID)) {
		h.notFound(w, r)
		return u, f, false
	}
	return u, f, true
}

// fleetShow is a stand's page: health, binding, recent events with what the
// stand said about each, and the lifecycle actions.
func (h *Handler) fleetShow(w http.ResponseWriter, r *http.Request) {
	u, f, ok := h.fleetStandFor(w, r)
	if !ok {
		return
	}
	v, err := h.standView(r, f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	v["User"], v["Console"] = u, true
	h.render(w, r, http.StatusOK, "fleet_stand", v)
}

// alertNames puts the alert kinds (outbox.Alert*) into words.
var alertNames = map[string]string{"paper": "纸张告警", "battery_low": "电量低", "offline": "长时间离线"}

// eventRow is one recent event on a stand page.
type eventRow struct {
	storage.EventLine
	Line ledgerLine
}

func (h *Handler) standView(r *http.Request, f storage.FleetStand) (view, error) {
	ctx := r.Context()
	evs, err := h.st.StandEvents(ctx, f.ID, 30)
	if err != nil {
		return nil, err
	}
	lang := locale.FromRequest(r)
	rows := make([]eventRow, len(evs))
	for i, e := range evs {
		rows[i] = eventRow{EventLine: e, Line: ledgerText(lang, e)}
	}
	kinds, err := h.st.ActiveAlerts(ctx, f.ID)
	if err != nil {
		return nil, err
	}
	var alerts []string // in words, for L.T
	for _, k := range kinds {
		if name, ok := alertNames[k]; ok {
			alerts = append(alerts, name)
		}
	}
	return view{"Stand": h.fleetRows([]storage.FleetStand{f})[0], "Events": rows, "Alerts": alerts}, nil
}

// fleetRekey gives a stand a new secret and ends its live session; the
// old secret is refused from the next CONNECT on.
func (h *Handler) fleetRekey(w http.ResponseWriter, r *http.Request) {
	u, f, ok := h.fleetStandFor(w, r)
	if !ok {
		return
	}
	secret := mqtt.NewSecret()
	if err := h.st.RekeyStand(r.Context(), f.ID, secret); err != nil {
		h.internal(w, r, err)
		return
	}
	h.credentialsChanged(r.Context(), f.ID, secret, CredentialsRekeyed)
	h.log.Info("ui: stand re-keyed", "stand", f.ID, "by", u.Username)
	h.showProvision(w, r, u, f.ID, secret, true)
}

// fleetRevoke stops a stand from connecting (a stolen or retired unit).
func (h *Handler) fleetRevoke(w http.ResponseWriter, r *http.Request) {
	u, f, ok := h.fleetStandFor(w, r)
	if !ok {
		return
	}
	if err := h.st.RevokeStand(r.Context(), f.ID, h.now()); err != nil {
		h.internal(w, r, err)
		return
	}
	h.credentialsChanged(r.Context(), f.ID, "", CredentialsRevoked)
	h.log.Info("ui: stand revoked", "stand", f.ID, "by", u.Username)
	http.Redirect(w, r, "/console/stands/"+f.ID, http.StatusSeeOther)
}

func (h *Handler) credentialsChanged(ctx context.Context, id, secret string, change CredentialChange) {
	for _, hook := range h.credHooks {
		if err := hook.StandCredentialsChanged(context.WithoutCancel(ctx), id, secret, change); err != nil {
			h.log.Error("ui: stand credentials hook", "stand", id, "err", err)
		}
	}
}

// fleetUnpair detaches a stand from its store (it shows its pairing
// screen again).
func (h *Handler) fleetUnpair(w http.ResponseWriter, r *http.Request) {
	u, f, ok := h.fleetStandFor(w, r)
	if !ok {
		return
	}
	if f.StoreID != "" {
		if err := h.st.UnpairStand(r.Context(), f.ID); err != nil {
			h.internal(w, r, err)
			return
		}
		h.stands.StandPaired(r.Context(), f.ID)
		h.log.Info("ui: stand unpaired", "stand", f.ID, "by", u.Username)
	}
	http.Redirect(w, r, "/console/stands/"+f.ID, http.StatusSeeOther)
}

// unannouncedReport lists payments no stand announced within N seconds
// (?within=, default 60, 5..3600) over the last ?days= (default 1, ≤ 31).
func (h *Handler) unannouncedReport(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return
	}
	within, err := strconv.Atoi(r.URL.Query().Get("within"))
	if r.URL.Query().Get("within") == "" {
		within, err = 60, nil
	}
	days, err2 := strconv.Atoi(r.URL.Query().Get("days"))
	if r.URL.Query().Get("days") == "" {
		days, err2 = 1, nil
	}
	if err != nil || err2 != nil || within < 5 || within > 3600 || days < 1 || days > 31 {
		h.badInput(w, r, "秒数须为 5–3600，天数须为 1–31")
		return
	}
	now := h.now()
	f := storage.UnannouncedFilter{Since: now.AddDate(0, 0, -days), Within: time.Duration(within) * time.Second, Now: now}
	if u.Role != model.ConsoleOperator {
		f.ProviderID = u.ProviderID
	}
	rows, err := h.st.UnannouncedPayments(r.Context(), f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "unannounced", view{"User": u, "Rows": rows, "Within": within, "Days": days})
}

// storeStands: a store's stands for its managers and admins, with their
// health, and the caller's own alert opt-in.
func (h *Handler) storeStands(w http.ResponseWriter, r *http.Request) {
	st, roles, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	stands, err := h.st.ListFleet(ctx, storage.FleetFilter{StoreID: st.ID})
	if err != nil {
		h.internal(w, r, err)
		return
	}
	me := alertRole(roles, st)
	optedIn, err := h.st.AlertOptedIn(ctx, me.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	type standCard struct {
		Row    fleetRow
		Events []eventRow
		Alerts []string
	}
	var cards []standCard
	for _, s := range stands {
		v, err := h.standView(r, s)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		evs := v["Events"].([]eventRow)
		if len(evs) > 5 {
			evs = evs[:5]
		}
		cards = append(cards, standCard{Row: v["Stand"].(fleetRow), Events: evs, Alerts: v["Alerts"].([]string)})
	}
	h.render(w, r, http.StatusOK, "store_stands", view{"Store": st, "Cards": cards, "OptedIn": optedIn, "Me": me})
}

// alertRole is the caller's role membership the alert opt-in belongs to:
// the manager row of this store, else the admin row of its merchant.
func alertRole(roles interface {
	ManagerOf(string) (model.Staff, bool)
	AdminOf(string) (model.Staff, bool)
}, st model.Store) model.Staff {
	if m, ok := roles.ManagerOf(st.ID); ok {
		return m
	}
	a, _ := roles.AdminOf(st.MerchantID)
	return a
}

// storeAlertsSet turns the caller's stand alerts for the store on or off.
func (h *Handler) storeAlertsSet(w http.ResponseWriter, r *http.Request) {
	st, roles, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	me := alertRole(roles, st)
	if me.ID == "" {
		h.internal(w, r, errors.New("ui: store manager without a role row"))
		return
	}
	if err := h.st.SetAlertOptIn(r.Context(), me.ID, r.PostFormValue("alerts") == "1", h.now()); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/store/"+st.ID+"/stands", http.StatusSeeOther)
}
