// Package wxauth identifies staff and customers by their WeChat openid via
// web OAuth (snsapi_base), using github.com/silenceper/wechat/v2. Snapshot
// (快照页) virtual users are rejected. In sandbox mode the same client is
// pointed at the in-process simulator (package oauthsim): the browser
// redirect is rewritten to the simulator's URL and server-side calls go
// through a transport that rewrites open.weixin.qq.com and api.weixin.qq.com.
//
// Spec: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
package wxauth
