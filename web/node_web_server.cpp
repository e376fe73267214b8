#include "web/node_web_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "web/form_fields.h"
#include "web/html.h"
#include "web/node_pages.h"
#include "web/static_assets.h"

namespace ppe::web {
namespace {

constexpr const char* kHtml = "text/html; charset=utf-8";
// A county's CSV of a year of rows is a few MB; forms are a few hundred bytes.
constexpr size_t kMaxUpload = size_t{8} << 20;
// Flashes kept for the redirect after a POST: a few per open browser tab is plenty.
constexpr size_t kMaxFlashes = 64;
// Never asked for on the page (the commands' wording): the page shows its own checkbox.
constexpr const char* kPageConfirm = "tick the confirmation box on the page";

std::optional<uint64_t> Number(const std::string& text) {
  if (text.empty() || text.size() > 15 || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(text);
}

std::optional<OrderStep> StepNamed(const std::string& name) {
  if (name == "ship") return OrderStep::kShip;
  if (name == "reject") return OrderStep::kReject;
  if (name == "receive") return OrderStep::kReceive;
  return std::nullopt;
}

void SeeOther(httplib::Response& res, const std::string& location) {
  res.status = 303;
  res.set_header("Location", location);
}

}  // namespace

NodeWebServer::NodeWebServer(const NodeWebConfig& config, const NodeConfig& node, City file_city, NodeStore& store,
                             SessionLogin* login)
    : config_(config), node_(node), file_city_(std::move(file_city)), store_(store), login_(login) {
  FollowCatalogue();
  server_ = MakeServer(config);
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  server_->set_keep_alive_timeout(3);
  server_->set_read_timeout(10);
  server_->set_write_timeout(10);
  server_->set_payload_max_length(kMaxUpload);
  Routes();
}

NodeWebServer::~NodeWebServer() = default;

Status NodeWebServer::Bind(const ListenAddress& address) {
  auto port = BindServer(*server_, config_, address);
  if (!port.ok()) return port.status();
  port_ = *port;
  return Status::Ok();
}

bool NodeWebServer::Run() { return server_->listen_after_bind(); }
void NodeWebServer::Stop() { server_->stop(); }

std::string NodeWebServer::FormToken(const httplib::Request& req, httplib::Response& res) const {
  std::string id = CookieValue(req, kCsrfCookie);
  if (!CsrfGuard::WellFormed(id)) {
    id = CsrfGuard::NewBrowserId();
    res.set_header("Set-Cookie", CsrfGuard::CookieFor(id, config_.Tls()));
  }
  return csrf_.TokenFor(id);
}

bool NodeWebServer::TokenValid(const httplib::Request& req, const std::string& token) const {
  return csrf_.Valid(CookieValue(req, kCsrfCookie), token);
}

NodeWebServer::Flash NodeWebServer::FlashOf(const Recorded& done) {
  Flash flash;
  flash.reports = done.reports;
  flash.count = done.reports.size();
  flash.first_seq = done.first_seq;
  flash.last_seq = done.last_seq;
  flash.encoding = done.encoding;
  return flash;
}

void NodeWebServer::FollowCatalogue() {
  const uint64_t held = store_.CatalogueHeld();
  if (catalogue_held_ == held && desk_) return;
  city_ = std::make_unique<City>(LiveCity(file_city_, store_));
  desk_ = std::make_unique<NodeDesk>(node_, *city_, store_);
  catalogue_held_ = held;
}

uint64_t NodeWebServer::Remember(Flash flash) {
  flash.id = next_flash_++;
  if (flash.reports.size() > 3) flash.reports.resize(3);
  flashes_.push_back(std::move(flash));
  while (flashes_.size() > kMaxFlashes) flashes_.pop_front();
  return flashes_.back().id;
}

// The success line of the POST this GET follows (?done=ID), in the language of this request.
std::string NodeWebServer::Notice(const httplib::Request& req, Lang lang) {
  const auto id = Number(req.get_param_value("done"));
  if (!id) return "";
  const Flash* flash = nullptr;
  for (const Flash& f : flashes_) {
    if (f.id == *id) flash = &f;
  }
  if (!flash) return "";
  const std::string pending = Count(static_cast<int64_t>(store_.Link().pending()));
  std::string text;
  if (flash->step.repeat) {
    text = Format(lang, Msg::kStepRepeat,
                  {std::to_string(flash->order), StatusName(lang, flash->step.shown_status.substr(
                                                                      0, flash->step.shown_status.find(' ')))});
  } else if (flash->count > 1 || !flash->encoding.empty()) {
    text = flash->count == 1
               ? Format(lang, Msg::kImportedOne, {std::to_string(flash->last_seq), pending})
               : Format(lang, Msg::kImported, {Count(static_cast<int64_t>(flash->count)), std::to_string(flash->first_seq),
                                               std::to_string(flash->last_seq), pending});
    if (flash->encoding != "UTF-8" && flash->encoding != "UTF-8 with a byte-order mark" && !flash->encoding.empty()) {
      text = Format(lang, Msg::kTwoSentences, {text, Format(lang, Msg::kImportConverted, {flash->encoding})});
    }
  } else if (!flash->reports.empty()) {
    text = Format(lang, Msg::kRecorded, {ReportSummary(lang, *city_, flash->reports.front()),
                                         std::to_string(flash->last_seq), pending});
    if (flash->step.implied_shipment) {
      text = Format(lang, Msg::kTwoSentences,
                    {text, Format(lang, Msg::kImpliedShipment, {std::to_string(flash->order)})});
    }
    if (flash->reports.front().has_order_step() && flash->reports.front().order_step().step() == wire::RECEIVE &&
        flash->step.received != flash->step.ordered) {
      text = Format(lang, Msg::kTwoSentences,
                    {text, Format(lang, Msg::kDiscrepancy, {Count(flash->step.ordered), Count(flash->step.received)})});
    }
  }
  return text.empty() ? "" : SuccessNotice(text);
}

void NodeWebServer::Routes() {
  httplib::Server& s = *server_;
  const auto frame = [this](const httplib::Request& req, const RequestContext& c, const std::string& title,
                            const std::string& body, const std::string& current) {
    PageFrame f;
    f.lang = c.lang;
    f.app = Msg::kNodeAppTitle;
    f.title = title;
    f.live = false;  // forms: a page that swapped itself would lose what the operator typed
    f.switch_url = SwitchUrl(req, c.lang);
    f.user = c.user;
    f.nav = {{"/", Msg::kNodeNavEntry, current == "/"},
             {"/import", Msg::kNodeNavImport, current == "/import"},
             {"/orders", Msg::kNodeNavOrders, current == "/orders"}};
    return RenderPage(f, body);
  };
  shell_ = std::make_unique<PageShell>(
      s, config_, login_,
      [frame](const httplib::Request& req, const RequestContext& c, const std::string& title, const std::string& body) {
        return frame(req, c, title, body, "");
      });
  shell_->back_home = Msg::kNodeBackHome;
  shell_->login_hidden = [this](const httplib::Request& req, httplib::Response& res) {
    return "<input type=\"hidden\" name=\"" + std::string(kCsrfField) + "\" value=\"" + FormToken(req, res) + "\">";
  };
  shell_->login_post_allowed = [this](const httplib::Request& req) {
    return TokenValid(req, req.get_param_value(kCsrfField));
  };
  shell_->Install();
  PageShell* shell = shell_.get();

  // A page of ours: the link's status above `body`, which `render` makes with this browser's token.
  const auto page = [this, frame](const httplib::Request& req, httplib::Response& res, const RequestContext& c,
                                  const std::string& current, Msg title,
                                  const std::function<std::string(const NodePageContext&, const std::string&)>& render) {
    const std::string token = FormToken(req, res);
    std::string body;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      FollowCatalogue();
      const NodePageContext context{c.lang, city_.get(), node_.county, token};
      body = StatusPanel(c.lang, desk_->LinkStatus()) + render(context, Notice(req, c.lang));
    }
    NoStore(res);
    res.set_content(frame(req, c, std::string(Text(c.lang, title)), body, current), kHtml);
  };
  // A POST's fields, after its token: none (and the refusal already answered) when either is wrong.
  const auto posted = [this, shell](const httplib::Request& req, httplib::Response& res,
                                    const RequestContext& c) -> std::optional<FormFields> {
    auto fields = FormFields::ParseUrlEncoded(req.body);
    if (!fields) {
      shell->ErrorPage(req, res, c, 400, std::string(Text(c.lang, Msg::kErrBadRequest)));
      return std::nullopt;
    }
    if (!TokenValid(req, fields->Get(kCsrfField))) {
      spdlog::warn("refused a POST {} from {} without this page's token: nothing recorded", Short(req.path),
                   req.remote_addr);
      shell->ErrorPage(req, res, c, 403, std::string(Text(c.lang, Msg::kErrCsrf)));
      return std::nullopt;
    }
    return fields;
  };

  s.Get("/", [=](const httplib::Request& req, httplib::Response& res) {
    page(req, res, shell->Context(req), "/", Msg::kNodeNavEntry,
         [](const NodePageContext& p, const std::string& notice) { return EntryPage(p, FormState{}, notice); });
  });
  s.Get("/import", [=](const httplib::Request& req, httplib::Response& res) {
    page(req, res, shell->Context(req), "/import", Msg::kImportHeading,
         [](const NodePageContext& p, const std::string& notice) { return ImportPage(p, {}, notice); });
  });
  s.Get("/orders", [=, this](const httplib::Request& req, httplib::Response& res) {
    page(req, res, shell->Context(req), "/orders", Msg::kNodeNavOrders,
         [this](const NodePageContext& p, const std::string& notice) {
           return OrdersPage(p, store_.Orders(true), store_.OrdersHeld(), OrderFormState{}, notice);
         });
  });
  s.Get("/api/status", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex_);
    NoStore(res);
    res.set_content(desk_->LinkStatus().dump(), "application/json; charset=utf-8");
  });
  // What orders-watch.js polls: cheap, read-only, the two figures the orders page was made with.
  s.Get("/api/orders", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex_);
    NoStore(res);
    const nlohmann::json watch{{"held", store_.OrdersHeld()}, {"newest", NewestOrder(store_.Orders(true))}};
    res.set_content(watch.dump(), "application/json; charset=utf-8");
  });
  s.Get("/static/orders-watch.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=300");
    res.set_content(std::string(OrdersWatchScript()), "text/javascript; charset=utf-8");
  });

  // The three forms: one NodeDesk call each, as the commands make it.
  for (const char* form : {kStockForm, kReceiptForm, kDemandForm}) {
    s.Post(std::string("/") + form, [=, this](const httplib::Request& req, httplib::Response& res) {
      const RequestContext c = shell->Context(req);
      auto fields = posted(req, res, c);
      if (!fields) return;
      const FormFields& f = *fields;
      const bool confirm = f.Checked("confirm");
      EntryError why;
      Result<Recorded> done = Status::Error("");
      {
        std::lock_guard<std::mutex> lock(mutex_);
        FollowCatalogue();
        if (form == std::string(kStockForm)) {
          done = desk_->Stock({f.Get("place"), f.Get("item"), f.Get("quantity"), f.Get("as_of")}, confirm, kPageConfirm,
                             &why);
        } else if (form == std::string(kReceiptForm)) {
          done = desk_->Receipt({f.Get("place"), f.Get("item"), f.Get("quantity"), f.Get("source"), f.Get("from"),
                                f.Get("reference"), f.Get("lot"), f.Get("expires")},
                               confirm, kPageConfirm, &why);
        } else {
          done = desk_->Demand({f.Get("place"), f.Get("item"), f.Get("quantity"), f.Get("daily_use"), f.Get("as_of")},
                              confirm, kPageConfirm, &why);
        }
      }
      if (!done.ok()) {
        // Nothing recorded: the same form again, what was typed in it, the mistake beside its field.
        res.status = why.confirmable() ? 409 : 422;
        FormState state{form, f, why};
        return page(req, res, c, "/", Msg::kNodeNavEntry, [state](const NodePageContext& p, const std::string&) {
          return EntryPage(p, state, "");
        });
      }
      std::lock_guard<std::mutex> lock(mutex_);
      SeeOther(res, "/?done=" + std::to_string(Remember(FlashOf(*done))));
    });
  }

  s.Post("/import", [=, this](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c = shell->Context(req);
    if (!req.is_multipart_form_data()) {
      return shell->ErrorPage(req, res, c, 400, std::string(Text(c.lang, Msg::kErrBadRequest)));
    }
    if (!TokenValid(req, req.get_file_value(kCsrfField).content)) {
      spdlog::warn("refused an upload from {} without this page's token: nothing recorded", req.remote_addr);
      return shell->ErrorPage(req, res, c, 403, std::string(Text(c.lang, Msg::kErrCsrf)));
    }
    const httplib::MultipartFormData file = req.get_file_value("file");
    if (file.filename.empty() && file.content.empty()) {
      res.status = 422;
      return page(req, res, c, "/import", Msg::kImportHeading, [](const NodePageContext& p, const std::string&) {
        return ImportPage(p, {}, "", Msg::kImportNoFile);
      });
    }
    const bool confirm = req.has_file("confirm") && !req.get_file_value("confirm").content.empty();
    CsvImportResult result;
    Result<Recorded> done = Status::Error("");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      FollowCatalogue();
      done = desk_->Import(file.content, file.filename.empty() ? "upload" : Short(file.filename), confirm, &result);
    }
    if (!done.ok()) {
      res.status = 422;
      const std::vector<EntryError> problems = result.problems;
      return page(req, res, c, "/import", Msg::kImportHeading,
                  [problems](const NodePageContext& p, const std::string&) { return ImportPage(p, problems, ""); });
    }
    std::lock_guard<std::mutex> lock(mutex_);
    SeeOther(res, "/import?done=" + std::to_string(Remember(FlashOf(*done))));
  });

  s.Post(R"(/orders/([0-9]{1,15})/([a-z]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c = shell->Context(req);
    const auto step = StepNamed(req.matches[2]);
    if (!step) return shell->ErrorPage(req, res, c, 404, std::string(Text(c.lang, Msg::kErrNotFound)));
    auto fields = posted(req, res, c);
    if (!fields) return;
    const int64_t id = static_cast<int64_t>(*Number(req.matches[1]));
    EntryError why;
    Result<StepTaken> taken = Status::Error("");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      FollowCatalogue();
      taken = desk_->Step(id, *step, *step == OrderStep::kReceive ? fields->Get("quantity") : "",
                         *step == OrderStep::kReject ? fields->Get("reason") : "", &why);
    }
    if (!taken.ok()) {
      res.status = why.problem == EntryProblem::kUnknownOrder ? 404 : 422;
      const OrderFormState state{id, std::string(req.matches[2]), *fields, why};
      return page(req, res, c, "/orders", Msg::kNodeNavOrders, [this, state](const NodePageContext& p, const std::string&) {
        return OrdersPage(p, store_.Orders(true), store_.OrdersHeld(), state, "");
      });
    }
    Flash flash;
    if (!taken->repeat) flash = FlashOf(Recorded{taken->seq, taken->seq, taken->pending, {taken->report}, ""});
    flash.order = id;
    flash.step = *taken;
    std::lock_guard<std::mutex> lock(mutex_);
    SeeOther(res, "/orders?done=" + std::to_string(Remember(std::move(flash))));
  });

  // Anything else: no such page to post to; other methods are not ours.
  const auto refuse = [shell](const httplib::Request& req, httplib::Response& res) {
    const RequestContext c{LangOf(req), ""};
    res.status = 405;
    res.set_header("Allow", "GET, POST");
    shell->ErrorPage(req, res, c, 405, std::string(Text(c.lang, Msg::kErrBadRequest)));
  };
  s.Post(".*", [shell](const httplib::Request& req, httplib::Response& res) {
    shell->ErrorPage(req, res, RequestContext{LangOf(req), ""}, 404, std::string(Text(LangOf(req), Msg::kErrNotFound)));
  });
  s.Put(".*", refuse);
  s.Patch(".*", refuse);
  s.Delete(".*", refuse);
  s.Options(".*", refuse);
}

}  // namespace ppe::web
