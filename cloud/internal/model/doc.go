// Package model holds the cloud's tenancy types: the platform operator's
// service providers, their merchants, stores, staff, codes, stands and
// shifts (DESIGN.md §2). It has no behaviour beyond small helpers, so every
// other package can share it.
package model
