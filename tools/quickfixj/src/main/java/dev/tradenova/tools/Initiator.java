package dev.tradenova.tools;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import quickfix.Application;
import quickfix.DefaultMessageFactory;
import quickfix.FieldNotFound;
import quickfix.MemoryStoreFactory;
import quickfix.SLF4JLogFactory;
import quickfix.Message;
import quickfix.Session;
import quickfix.SessionID;
import quickfix.SessionSettings;
import quickfix.SocketInitiator;
import quickfix.field.Account;
import quickfix.field.HandlInst;
import quickfix.field.ClOrdID;
import quickfix.field.MaturityMonthYear;
import quickfix.field.MsgType;
import quickfix.field.OrdType;
import quickfix.field.OrderQty;
import quickfix.field.OrigClOrdID;
import quickfix.field.Price;
import quickfix.field.SecurityExchange;
import quickfix.field.SecurityType;
import quickfix.field.Side;
import quickfix.field.Symbol;
import quickfix.field.TimeInForce;
import quickfix.field.TransactTime;

/**
 * A QuickFIX/J 2.3.2 initiator (FIX 4.4 or 4.2, message validation on) that trades one script
 * against a FIX acceptor and prints every message it sends and receives, one per line:
 *   IN  <message, SOH shown as |>      a message QuickFIX/J accepted from the acceptor
 *   OUT <message>                      a message QuickFIX/J sent (its own Rejects included)
 *   STEP <name>                        the script reached a step
 *   DONE / FAIL <reason>               the script finished (exit 0) or gave up (exit 1)
 * The test (packages/adapter-others/test/fix/quickfixj.test.ts) asserts on these lines.
 *
 * Arguments: port heartBtIntSeconds maturity(YYYYMM) limitPrice replacePrice [beginString]
 * (FIX.4.4 by default); with FIX.4.4 the script also asks for the working orders'
 * status (OrderMassStatusRequest). Messages are built field by field, the same for both versions
 * (4.2 also gets HandlInst, required there); QuickFIX/J validates what it receives
 * against its own FIX42.xml / FIX44.xml.
 */
public final class Initiator implements Application {
    private final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

    private static synchronized void print(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private static String text(Message m) {
        return m.toString().replace('\u0001', '|');
    }

    @Override public void onCreate(SessionID id) {}
    @Override public void onLogon(SessionID id) { print("STEP logon"); events.add("logon"); }
    @Override public void onLogout(SessionID id) { print("STEP logout"); events.add("logout"); }
    @Override public void toAdmin(Message m, SessionID id) { print("OUT " + text(m)); }
    @Override public void fromAdmin(Message m, SessionID id) {
        print("IN " + text(m));
        // A heartbeat the acceptor sent on its own (not an answer to a TestRequest of ours).
        if (text(m).contains("|35=0|") && !m.isSetField(112)) events.add("heartbeat");
    }
    @Override public void toApp(Message m, SessionID id) { print("OUT " + text(m)); }
    @Override public void fromApp(Message m, SessionID id) {
        print("IN " + text(m));
        inbox.add(m);
    }

    /** The next application message that matches, within `seconds`; the ones before it are dropped. */
    private Message await(String what, int seconds, Predicate<Message> match) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (;;) {
            long left = deadline - System.nanoTime();
            Message m = left > 0 ? inbox.poll(left, TimeUnit.NANOSECONDS) : null;
            if (m == null) throw new IllegalStateException("no " + what + " within " + seconds + " s");
            if (match.test(m)) return m;
        }
    }

    private static String get(Message m, int tag) {
        try {
            return m.isSetField(tag) ? m.getString(tag) : "";
        } catch (FieldNotFound e) {
            return "";
        }
    }

    private static boolean report(Message m, String clOrdId, String execType) {
        try {
            return m.getHeader().getString(MsgType.FIELD).equals(MsgType.EXECUTION_REPORT)
                && get(m, ClOrdID.FIELD).equals(clOrdId)
                && get(m, 150).equals(execType);
        } catch (FieldNotFound e) {
            return false;
        }
    }

    private static String beginString = "FIX.4.4";

    /** A message of `msgType` for the account and contract of the script. */
    private static Message message(String msgType, String clOrdId, char side, int qty, String maturity) {
        Message m = new Message();
        m.getHeader().setString(8, beginString);
        m.getHeader().setString(MsgType.FIELD, msgType);
        m.setField(new ClOrdID(clOrdId));
        m.setField(new Account("FIX1"));
        m.setField(new Symbol("MNQ"));
        m.setField(new SecurityType(SecurityType.FUTURE));
        m.setField(new MaturityMonthYear(maturity));
        m.setField(new SecurityExchange("CME"));
        m.setField(new Side(side));
        m.setField(new TransactTime());
        m.setField(new OrderQty(qty));
        return m;
    }

    private static Message order(String clOrdId, char side, int qty, char type, String maturity) {
        Message o = message(MsgType.ORDER_SINGLE, clOrdId, side, qty, maturity);
        o.setField(new OrdType(type));
        if (beginString.equals("FIX.4.2")) o.setField(new HandlInst(HandlInst.AUTOMATED_EXECUTION_ORDER_PRIVATE_NO_BROKER_INTERVENTION));
        return o;
    }

    /** ExecType of a fill: F in 4.4, 1 (partial) or 2 (filled) in 4.2. */
    private static boolean fill(Message m) {
        String execType = get(m, 150);
        return execType.equals("F") || (beginString.equals("FIX.4.2") && (execType.equals("1") || execType.equals("2")));
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int heartBtInt = Integer.parseInt(args[1]);
        String maturity = args[2];
        String limitPrice = args[3];
        String replacePrice = args[4];
        if (args.length > 5) beginString = args[5];
        String config = String.join("\n",
            "[default]",
            "ConnectionType=initiator",
            "SocketConnectHost=127.0.0.1",
            "SocketConnectPort=" + port,
            "HeartBtInt=" + heartBtInt,
            "ReconnectInterval=1",
            "NonStopSession=Y",
            "ResetOnLogon=Y",
            "UseDataDictionary=Y",
            "DataDictionary=" + beginString.replace(".", "") + ".xml",
            "ValidateIncomingMessage=Y",
            "ValidateUserDefinedFields=Y",
            "ValidateFieldsOutOfOrder=Y",
            "ValidateFieldsHaveValues=Y",
            "RejectInvalidMessage=Y",
            "[session]",
            "BeginString=" + beginString,
            "SenderCompID=QFJ",
            "TargetCompID=FIXSIM",
            "");
        SessionSettings settings = new SessionSettings(new ByteArrayInputStream(config.getBytes(StandardCharsets.UTF_8)));
        Initiator app = new Initiator();
        SocketInitiator initiator = new SocketInitiator(
            app, new MemoryStoreFactory(), settings, new SLF4JLogFactory(settings), new DefaultMessageFactory());
        initiator.start();
        int code = 0;
        try {
            String first = app.events.poll(30, TimeUnit.SECONDS);
            if (!"logon".equals(first)) throw new IllegalStateException(first == null ? "no logon within 30 s" : "no logon: " + first);
            SessionID id = initiator.getSessions().get(0);

            print("STEP market-order");
            Session.sendToTarget(order("Q-1", Side.BUY, 3, OrdType.MARKET, maturity), id);
            app.await("fill of Q-1", 20, m -> get(m, 11).equals("Q-1") && fill(m) && get(m, 39).equals("2"));

            print("STEP limit-order");
            Message limit = order("Q-2", Side.BUY, 1, OrdType.LIMIT, maturity);
            limit.setField(new Price(Double.parseDouble(limitPrice)));
            limit.setField(new TimeInForce(TimeInForce.DAY));
            Session.sendToTarget(limit, id);
            app.await("acknowledgement of Q-2", 20, m -> report(m, "Q-2", "0"));

            print("STEP cancel-replace");
            Message replace = order("Q-3", Side.BUY, 2, OrdType.LIMIT, maturity);
            replace.getHeader().setString(MsgType.FIELD, MsgType.ORDER_CANCEL_REPLACE_REQUEST);
            replace.setField(new OrigClOrdID("Q-2"));
            replace.setField(new Price(Double.parseDouble(replacePrice)));
            replace.setField(new TimeInForce(TimeInForce.DAY));
            Session.sendToTarget(replace, id);
            app.await("replace of Q-2 by Q-3", 20, m -> report(m, "Q-3", "5"));

            // FIX 4.4 only (4.2 has no OrderMassStatusRequest): the working order comes back as 150=I.
            if (beginString.equals("FIX.4.4")) {
                print("STEP mass-status");
                Message status = new Message();
                status.getHeader().setString(8, beginString);
                status.getHeader().setString(MsgType.FIELD, "AF");
                status.setString(584, "MS-1");
                status.setInt(585, 7);
                status.setField(new Account("FIX1"));
                Session.sendToTarget(status, id);
                app.await("the last mass status report", 20, m -> get(m, 584).equals("MS-1") && get(m, 912).equals("Y"));
            }

            print("STEP duplicate-clordid");
            Session.sendToTarget(order("Q-1", Side.BUY, 1, OrdType.MARKET, maturity), id);
            app.await("reject of the duplicate Q-1", 20, m -> report(m, "Q-1", "8"));

            print("STEP cancel");
            Message cancel = message(MsgType.ORDER_CANCEL_REQUEST, "Q-4", Side.BUY, 2, maturity);
            cancel.setField(new OrigClOrdID("Q-3"));
            Session.sendToTarget(cancel, id);
            app.await("cancel of Q-3", 20, m -> report(m, "Q-4", "4"));

            // Quiet: two heartbeats of the acceptor's own must come, at our interval, not its default.
            print("STEP quiet");
            app.events.clear();
            for (int beats = 0; beats < 2; ) {
                String event = app.events.poll(3L * heartBtInt + 2, TimeUnit.SECONDS);
                if (event == null) throw new IllegalStateException("no heartbeat within " + (3 * heartBtInt + 2) + " s");
                if (event.equals("heartbeat")) beats++;
            }
            print("STEP logout");
            Session.lookupSession(id).logout("done");
            app.events.poll(10, TimeUnit.SECONDS);
            print("DONE");
        } catch (Exception e) {
            print("FAIL " + e.getMessage());
            code = 1;
        } finally {
            initiator.stop(true);
        }
        System.exit(code);
    }
}
