// Package oauthsim simulates WeChat's web OAuth (网页授权, snsapi_base) for
// sandbox mode: the authorize page, where a tester picks or creates a WeChat
// user by nickname, redirects back with a one-time code, and the
// access_token endpoint exchanges that code for the user's openid. Paths
// mirror open.weixin.qq.com and api.weixin.qq.com so the unmodified
// silenceper/wechat client talks to it through a host-rewriting transport.
//
// It plays several official accounts at once (the deployment's and each
// service provider's, see Sim.Accounts), as WeChat does: one person has a
// different openid under each AppID, a code is exchanged only by the AppID
// it was issued for, and a wrong AppSecret is refused. Like WeChat, it
// takes a state of at most 128 bytes of [a-zA-Z0-9] only (ValidState).
//
// Spec: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
package oauthsim
