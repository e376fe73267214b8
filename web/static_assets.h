// StaticAssets: the only files the pages load, served by ppe-web itself (no CDN, nothing from the
// internet): the style sheet, live.js, the small script that keeps an open page current, and
// orders-watch.js, which tells the county page's operator that an order came.
#pragma once

#include <string_view>

namespace ppe::web {

std::string_view StyleSheet();
// Polls /api/version; when the city changed, fetches the page again and swaps its <main>.
std::string_view LiveScript();
// The county page's orders: polls /api/orders; when an order came or changed, shows the page's
// notice (a link to reload), and keeps what was typed in the forms across that reload.
std::string_view OrdersWatchScript();

}  // namespace ppe::web
