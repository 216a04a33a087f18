package model

import "time"

// ConsoleRole is the role of a console (password) login.
type ConsoleRole string

// Console roles.
const (
	ConsoleOperator ConsoleRole = "operator"
	ConsoleProvider ConsoleRole = "provider"
)

// ConsoleUser is a password login to the web console.
type ConsoleUser struct {
	ID           string
	Username     string
	PasswordHash string
	Role         ConsoleRole
	ProviderID   string // empty for the operator
	CreatedAt    time.Time
}

// Provider is a WeChat Pay service provider (服务商).
type Provider struct {
	ID        string
	Name      string
	SPMchID   string // WeChat Pay partner merchant id
	SPAppID   string // official account appid used for OAuth and JSAPI
	CreatedAt time.Time
}

// ProviderSecrets are the provider's WeChat credentials; they are stored
// only sealed with the configured AES-GCM key.
type ProviderSecrets struct {
	AppSecret     string `json:"app_secret,omitempty"`
	APIv3Key      string `json:"apiv3_key,omitempty"`
	CertSerial    string `json:"cert_serial,omitempty"`
	PrivateKeyPEM string `json:"private_key_pem,omitempty"`
	// The WeChat Pay platform public key (pub_key.pem) and its id
	// "PUB_KEY_ID_…": not secret, but kept with the account they verify.
	PlatformPublicKeyPEM string `json:"platform_public_key_pem,omitempty"`
	PlatformPublicKeyID  string `json:"platform_public_key_id,omitempty"`
	// PaidTemplateID is the provider's official account's template id for
	// staff payment messages (template ids are per account).
	PaidTemplateID string `json:"paid_template_id,omitempty"`
}

// HasPayAccount reports whether every WeChat Pay partner credential is
// present (the ids are on Provider).
func (s ProviderSecrets) HasPayAccount() bool {
	return s.APIv3Key != "" && s.CertSerial != "" && s.PrivateKeyPEM != "" && s.PlatformPublicKeyPEM != "" && s.PlatformPublicKeyID != ""
}

// Merchant is a sub-merchant (子商户) of a provider.
type Merchant struct {
	ID          string
	ProviderID  string
	Name        string
	SubMchID    string
	ManageToken string // the stable merchant management code
	CreatedAt   time.Time
}

// Store is one shop of a merchant; CodeToken is its fixed store code.
type Store struct {
	ID             string
	MerchantID     string
	Name           string
	CodeToken      string
	NotifyOffShift bool // notify opted-in clerks even when they are off shift
	Announce       bool // stands speak payments
	PrintReceipts  bool // stands print payments
	CreatedAt      time.Time
}

// Role is a staff role held by a WeChat user.
type Role string

// Staff roles.
const (
	RoleAdmin   Role = "admin"   // 商户管理员, scope: merchant
	RoleManager Role = "manager" // 店长, scope: store
	RoleClerk   Role = "clerk"   // 店员, scope: store
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleManager || r == RoleClerk
}

// Staff is one role held (or, before activation, to be held) by a person.
type Staff struct {
	ID             string
	MerchantID     string
	StoreID        string // empty for admins
	Role           Role
	Name           string
	OpenID         string // empty until activated
	AppID          string // the official account OpenID belongs to; "" is the deployment's
	CanRefund      bool
	Notify         bool // receives payment messages (clerks on duty; managers and admins always)
	ClerkCodeToken string
	CreatedAt      time.Time
	ActivatedAt    time.Time // zero until activated
}

// Active reports whether the staff member has activated the role.
func (s Staff) Active() bool { return s.OpenID != "" }

// ScopeID is the merchant id for admins and the store id otherwise.
func (s Staff) ScopeID() string {
	if s.Role == RoleAdmin {
		return s.MerchantID
	}
	return s.StoreID
}

// ActivationCode is a single-use, expiring code granting one role in one
// scope to whoever scans it first.
type ActivationCode struct {
	Token     string
	StaffID   string
	Role      Role
	ScopeID   string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
	UsedBy    string
}

// Plate is a blank QR plate (空码) printed before it is bound to a store.
type Plate struct {
	Token      string
	ProviderID string
	StoreID    string // empty until bound
	CreatedAt  time.Time
	BoundAt    time.Time
}

// Stand is a QR stand device.
type Stand struct {
	ID         string
	SecretHash string
	StoreID    string // empty until paired
	CreatedAt  time.Time
	PairedAt   time.Time
}

// Shift is one clerk's time on duty at a store, from clock-in (or, when
// nobody was on duty, the store's previous clock-out) to clock-out. Several
// clerks' shifts may overlap.
type Shift struct {
	ID        string
	StoreID   string
	StaffID   string
	StartsAt  time.Time
	ClockInAt time.Time
	EndsAt    time.Time // zero while open
	EndedBy   string    // EndedByClockOut, EndedByManager, EndedByRemoved (EndedByNextClockIn: before overlapping shifts)
}

// Open reports whether the shift has not ended.
func (s Shift) Open() bool { return s.EndsAt.IsZero() }

// How a shift ended.
const (
	EndedByClockOut    = "clock_out"
	EndedByNextClockIn = "next_clock_in" // no longer written: a colleague's clock-in ends no shift
	EndedByManager     = "manager"       // a manager ended a forgotten clock-out
	EndedByRemoved     = "removed"       // the clerk's role was removed
)
