package wxauth

import "regexp"

// The WeChat library puts the whole request URL into its errors ("http get
// error : uri=…?appid=…&secret=…&code=…"), and net/http's *url.Error does
// the same: logged or stored as they are, they would carry an official
// account's AppSecret, an access token or a login code.
var reSecretParam = regexp.MustCompile(`((?:secret|access_token|code|refresh_token)=)[^&\s"']*`)

// Redact returns err with the values of secret, access_token, code and
// refresh_token query parameters replaced by "REDACTED"; nil stays nil.
// The text changes, the chain does not: errors.Is still sees err.
func Redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := reSecretParam.ReplaceAllString(msg, "${1}REDACTED")
	if clean == msg {
		return err
	}
	return redacted{msg: clean, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }
func (r redacted) Unwrap() error { return r.err }
