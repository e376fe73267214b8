// StaticAssets: the only files the pages load, served by ppe-web itself (no CDN, nothing from the
// internet): the style sheet and live.js, the small script that keeps an open page current.
#pragma once

#include <string_view>

namespace ppe::web {

std::string_view StyleSheet();
// Polls /api/version; when the city changed, fetches the page again and swaps its <main>.
std::string_view LiveScript();

}  // namespace ppe::web
