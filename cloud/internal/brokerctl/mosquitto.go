package brokerctl

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Control topics of Mosquitto's dynamic-security plugin.
const (
	ControlTopic  = "$CONTROL/dynamic-security/v1"
	ResponseTopic = ControlTopic + "/response"
)

// MosquittoConfig configures a Mosquitto controller.
type MosquittoConfig struct {
	// Broker is the broker URL, e.g. "tcp://127.0.0.1:1883". Required.
	Broker string
	// User and Password are a dynsec client allowed to publish to
	// $CONTROL/dynamic-security/# and read its responses (the admin made
	// by `mosquitto_ctrl dynsec init`). Required.
	User, Password string
	// ClientID is the MQTT client id. Default User + "-" + 8 random hex
	// digits, so that several cloud nodes never kick each other.
	ClientID string
	// Timeout bounds one control request. Default 10 s.
	Timeout time.Duration
	Log     *slog.Logger
}

// Mosquitto drives Mosquitto's dynamic-security plugin over MQTT. It
// implements StandCredentials. Safe for concurrent use.
type Mosquitto struct {
	cfg    MosquittoConfig
	client paho.Client

	mu      sync.Mutex
	waiting map[string]chan response // correlationData → its answer
}

// Command is one dynsec command: "command" plus its fields.
type Command map[string]any

type response struct {
	Command     string          `json:"command"`
	Error       string          `json:"error"`
	Data        json.RawMessage `json:"data"`
	Correlation string          `json:"correlationData"`
}

// DialMosquitto connects to the broker and subscribes to the control
// responses. Close it when done.
func DialMosquitto(ctx context.Context, cfg MosquittoConfig) (*Mosquitto, error) {
	if cfg.Broker == "" || cfg.User == "" || cfg.Password == "" {
		return nil, errors.New("brokerctl: Broker, User and Password are required")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.User + "-" + randHex(4)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Mosquitto{cfg: cfg, waiting: map[string]chan response{}}
	subscribed := make(chan error, 1)
	opts := paho.NewClientOptions().AddBroker(cfg.Broker).SetClientID(cfg.ClientID).
		SetUsername(cfg.User).SetPassword(cfg.Password).
		// Answers are only useful to the request that waits for them.
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(false).
		SetMaxReconnectInterval(5 * time.Second).SetOrderMatters(false)
	opts.SetOnConnectHandler(func(c paho.Client) {
		tok := c.Subscribe(ResponseTopic, 1, m.onResponse)
		var err error
		if !tok.WaitTimeout(cfg.Timeout) {
			err = errors.New("brokerctl: subscribe timed out")
		} else if err = tok.Error(); err == nil {
			if codes := tok.(*paho.SubscribeToken).Result(); codes[ResponseTopic] >= 0x80 {
				err = fmt.Errorf("brokerctl: subscribe to %s refused (is %q a dynsec admin?)", ResponseTopic, cfg.User)
			}
		}
		if err != nil {
			cfg.Log.Error("brokerctl: subscribe", "err", err)
		}
		select {
		case subscribed <- err:
		default:
		}
	})
	m.client = paho.NewClient(opts)
	tok := m.client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return nil, fmt.Errorf("brokerctl: connect %s: %w", cfg.Broker, err)
		}
	case <-ctx.Done():
		m.client.Disconnect(0)
		return nil, ctx.Err()
	}
	select {
	case err := <-subscribed:
		if err != nil {
			m.client.Disconnect(0)
			return nil, err
		}
	case <-ctx.Done():
		m.client.Disconnect(0)
		return nil, ctx.Err()
	}
	return m, nil
}

// Close disconnects. Idempotent.
func (m *Mosquitto) Close() { m.client.Disconnect(250) }

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("brokerctl: crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// onResponse hands each answer to the request waiting for its
// correlationData. Every admin connection (one per cloud node) receives
// every answer; the others are not ours and are dropped.
func (m *Mosquitto) onResponse(_ paho.Client, pm paho.Message) {
	var body struct {
		Responses []response `json:"responses"`
	}
	if err := json.Unmarshal(pm.Payload(), &body); err != nil {
		m.cfg.Log.Warn("brokerctl: undecodable control response", "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range body.Responses {
		if ch, ok := m.waiting[r.Correlation]; ok {
			delete(m.waiting, r.Correlation)
			ch <- r // buffered
		}
	}
}

// Do sends cmds in one control message and waits for every answer. It
// returns the first command's error Mosquitto reported (a *CommandError),
// after all answers are in.
func (m *Mosquitto) Do(ctx context.Context, cmds ...Command) error {
	_, err := m.exchange(ctx, cmds)
	return err
}

// exchange is Do returning each answer's data too.
func (m *Mosquitto) exchange(ctx context.Context, cmds []Command) ([]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	chans := make([]chan response, len(cmds))
	ids := make([]string, len(cmds))
	m.mu.Lock()
	for i, c := range cmds {
		ids[i] = randHex(8)
		c["correlationData"] = ids[i]
		chans[i] = make(chan response, 1)
		m.waiting[ids[i]] = chans[i]
	}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		for _, id := range ids {
			delete(m.waiting, id)
		}
		m.mu.Unlock()
	}()
	payload, err := json.Marshal(map[string]any{"commands": cmds})
	if err != nil {
		return nil, fmt.Errorf("brokerctl: %w", err)
	}
	tok := m.client.Publish(ControlTopic, 1, false, payload)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return nil, fmt.Errorf("brokerctl: publish control: %w", err)
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("brokerctl: publish control: %w", ctx.Err())
	}
	var first error
	data := make([]json.RawMessage, len(cmds))
	for i, ch := range chans {
		select {
		case r := <-ch:
			data[i] = r.Data
			if r.Error != "" && first == nil {
				first = &CommandError{Command: fmt.Sprint(cmds[i]["command"]), Text: r.Error}
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("brokerctl: no answer to %v: %w", cmds[i]["command"], ctx.Err())
		}
	}
	return data, first
}

// do runs one command at a time, so an expected error (exists, not found)
// can be told from the command that caused it.
func (m *Mosquitto) do(ctx context.Context, cmd Command) error { return m.Do(ctx, cmd) }

func aclCommands(acls []ACL) []any {
	out := make([]any, len(acls))
	for i, a := range acls {
		out[i] = a
	}
	return out
}

// ensureRole creates role with acls, or, when it exists, adds any of acls
// it lacks (addRoleACL of an existing entry answers "ACL with this topic
// already exists", which is fine).
func (m *Mosquitto) ensureRole(ctx context.Context, role string, acls []ACL) error {
	err := m.do(ctx, Command{"command": "createRole", "rolename": role, "acls": aclCommands(acls)})
	if err == nil || !isExists(err) {
		return err
	}
	for _, a := range acls {
		err := m.do(ctx, Command{"command": "addRoleACL", "rolename": role, "acltype": a.Type, "topic": a.Topic, "priority": a.Priority, "allow": a.Allow})
		if err != nil && !isExists(err) {
			return err
		}
	}
	return nil
}

// ensureClient creates a client; for an existing one it sets the password
// when resetPassword (Mosquitto then disconnects every connection of that
// username) and adds the role and enables it if needed. clientID empty
// lets the client use any id.
func (m *Mosquitto) ensureClient(ctx context.Context, user, password, clientID, role string, resetPassword bool) error {
	c := Command{"command": "createClient", "username": user, "password": password, "roles": []any{map[string]any{"rolename": role}}}
	if clientID != "" {
		c["clientid"] = clientID
	}
	err := m.do(ctx, c)
	if err == nil || !isExists(err) {
		return err
	}
	data, err := m.exchange(ctx, []Command{{"command": "getClient", "username": user}})
	if err != nil {
		return err
	}
	var got struct {
		Client struct {
			ClientID string `json:"clientid"`
			Disabled bool   `json:"disabled"`
			Roles    []struct {
				Name string `json:"rolename"`
			} `json:"roles"`
		} `json:"client"`
	}
	if err := json.Unmarshal(data[0], &got); err != nil {
		return fmt.Errorf("brokerctl: getClient %s: %w", user, err)
	}
	if resetPassword {
		if err := m.do(ctx, Command{"command": "setClientPassword", "username": user, "password": password}); err != nil {
			return err
		}
	}
	if got.Client.ClientID != clientID {
		if err := m.do(ctx, Command{"command": "setClientId", "username": user, "clientid": clientID}); err != nil {
			return err
		}
	}
	has := false
	for _, r := range got.Client.Roles {
		has = has || r.Name == role
	}
	if !has {
		if err := m.do(ctx, Command{"command": "addClientRole", "username": user, "rolename": role}); err != nil {
			return err
		}
	}
	if got.Client.Disabled {
		return m.do(ctx, Command{"command": "enableClient", "username": user})
	}
	return nil
}

// SetupCloud makes the broker deny by default what no role allows and
// gives the cloud's service identity user its role, creating it with
// password when missing. Run it at every start (it is idempotent); nodes of
// one deployment share user and password but each connects with its own
// client id.
func (m *Mosquitto) SetupCloud(ctx context.Context, user, password string) error {
	err := m.do(ctx, Command{"command": "setDefaultACLAccess", "acls": []any{
		map[string]any{"acltype": "publishClientSend", "allow": false},
		// Receiving is granted per role too, so a retained or will message
		// on a topic nobody should read reaches no one.
		map[string]any{"acltype": "publishClientReceive", "allow": false},
		map[string]any{"acltype": "subscribe", "allow": false},
		map[string]any{"acltype": "unsubscribe", "allow": true},
	}})
	if err != nil {
		return err
	}
	if err := m.ensureRole(ctx, CloudRole, CloudACL()); err != nil {
		return err
	}
	// An existing service client keeps its password: changing it would
	// disconnect every node. A node started with another password fails to
	// connect with a clear "not authorized".
	return m.ensureClient(ctx, user, password, "", CloudRole, false)
}

// Register gives stand id a broker identity: its own role and a client
// whose username and client id are both id (Mosquitto refuses a CONNECT
// with another client id, so a stand cannot take over another's session).
func (m *Mosquitto) Register(ctx context.Context, id, secret string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if secret == "" {
		return errors.New("brokerctl: empty secret")
	}
	if err := m.ensureRole(ctx, StandRole(id), StandACL(id)); err != nil {
		return fmt.Errorf("brokerctl: register %s: %w", id, err)
	}
	if err := m.ensureClient(ctx, id, secret, id, StandRole(id), true); err != nil {
		return fmt.Errorf("brokerctl: register %s: %w", id, err)
	}
	return nil
}

// Rekey sets stand id's new secret; Mosquitto disconnects a client whose
// password changes, so a connection made with the old secret ends too.
func (m *Mosquitto) Rekey(ctx context.Context, id, secret string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if secret == "" {
		return errors.New("brokerctl: empty secret")
	}
	if err := m.do(ctx, Command{"command": "setClientPassword", "username": id, "password": secret}); err != nil {
		return fmt.Errorf("brokerctl: rekey %s: %w", id, err)
	}
	return nil
}

// Revoke deletes stand id's client and role; Mosquitto disconnects it
// (without sending its will).
func (m *Mosquitto) Revoke(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := m.do(ctx, Command{"command": "deleteClient", "username": id}); err != nil && !isNotFound(err) {
		return fmt.Errorf("brokerctl: revoke %s: %w", id, err)
	}
	if err := m.do(ctx, Command{"command": "deleteRole", "rolename": StandRole(id)}); err != nil && !isNotFound(err) {
		return fmt.Errorf("brokerctl: revoke %s: %w", id, err)
	}
	return nil
}

var _ StandCredentials = (*Mosquitto)(nil)
