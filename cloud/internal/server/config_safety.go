package server

import (
	"errors"
	"fmt"
	"net"
)

// ErrSandboxWithWeChatPay refuses a configuration that would quietly turn
// real payments into a toy.
var ErrSandboxWithWeChatPay = errors.New("server: sandbox mode (-sandbox or -dev) cannot run with a real wechat_pay account: " +
	"it would take payments through the built-in simulator, whose pay page marks any order paid; remove -sandbox/-dev or the wechat_pay section")

// validateSafety checks the settings that keep money and metrics safe
// (called by Validate).
func (c *Config) validateSafety() error {
	if c.Sandbox && c.WeChatPay != nil {
		return ErrSandboxWithWeChatPay
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("server: metrics address %q: %w", c.MetricsAddr, err)
		}
	}
	return nil
}
