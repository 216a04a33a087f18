// Package render draws an ESC/POS byte stream as the receipt a thermal
// printer would print: 1-bit, as wide as the print head, with text in the
// printer's cells (12×24 dots half-width, 24×24 full-width), QR codes drawn
// from the data sent with GS ( k and raster images expanded.
//
// Glyphs come from an x/image font.Face, by default the shared GNU Unifont
// subset in github.com/qrstand/qrstand/display/font (16 px glyphs centred in
// the 24-dot cells: the layout is the printer's, the letterforms are
// Unifont's). The stand's simulator writes every receipt as .bin and .png
// with this package, and tests decode the QR codes from the picture.
//
// Commands the decoder does not know are skipped, as most printers skip
// them; use escpos.Unknowns to list them.
package render
