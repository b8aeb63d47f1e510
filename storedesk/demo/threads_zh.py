"""Simplified Chinese conversation templates (see threads.py for the placeholders).

Long lines are wrapped for the code only; m() joins Chinese lines without a space.
"""

from __future__ import annotations

from storedesk.conversations.enums import Priority
from storedesk.demo.threads import FileKind, Kind, ThreadTemplate, m

TEMPLATES: tuple[ThreadTemplate, ...] = (
    ThreadTemplate(
        "zh-where-is-order", "support", "我的订单 {order} 到哪里了？",
        (
            m("""您好，

            我一周前下的订单（{order}），物流信息已经五天没有更新了。麻烦帮我查一下是什么情况？
            这是送人的礼物，希望周末前能收到。

            谢谢！
            {name}"""),
            m("""{first}，您好！

            感谢您的来信，抱歉让您久等了。我们向快递公司核实过：包裹因为面单破损在分拣中心
            滞留了几天，现在已经重新发出。新的运单号是 {tracking}，预计两个工作日内送达。

            祝好，
            客服 {agent}"""),
            "太好了，谢谢你们帮忙处理！",
        ),
        tags=("shipping",),
        note="快递已确认重新贴单。如果周五客户还没收到，就发起理赔。",
    ),
    ThreadTemplate(
        "zh-wrong-size", "support", "订单 {order} 尺码发错了",
        (
            m("""你好，

            今天收到订单 {order}，但是被套是 150x200 的，我买的是 220x220。可以换货吗？
            包装还没拆。

            {name}"""),
            m("""{first}，您好！

            非常抱歉发错了货，当然可以换。我们已经把免费退货面单发到您的邮箱，您把包裹交到
            任意快递网点即可。退货一扫描，我们就马上寄出 220x220 的被套，不用等退货到仓库。

            祝好，
            客服 {agent}"""),
            "好的，今天早上已经寄出了。",
            m("""收到！退货已登记，新的被套已经在路上了，今天晚些时候会把物流链接发给您。

            客服 {agent}"""),
        ),
        tags=("returns",),
        brands=("nordlys",),
    ),
    ThreadTemplate(
        "zh-refund", "billing", "退款什么时候到账？",
        (
            m("""你好，两周前我退回了订单 {order} 的商品，但是 {amount} 瑞典克朗的退款
            到现在还没收到，能帮忙查一下吗？"""),
            m("""{first}，您好！

            您的退货周一已经到达仓库，{amount} 瑞典克朗的退款昨天已经原路退回。根据银行不同，
            一般需要三到五个工作日到账。

            祝好，
            客服 {agent}"""),
            "已经到账了，谢谢！",
        ),
        tags=("refund",),
    ),
    ThreadTemplate(
        "zh-invoice-copy", "billing", "申请订单 {order} 的发票",
        (
            m("""您好，

            麻烦把订单 {order} 的发票发给我一份，公司财务报销需要。我已经抄送给我们的财务部。

            谢谢，
            {name}"""),
            m("""{first}，您好！

            订单 {order} 的发票已作为 PDF 附件发送，上面有增值税信息和我们的公司注册号。

            祝好，
            客服 {agent}"""),
            "收到了，非常感谢。",
        ),
        tags=("invoice",),
        agent_file=FileKind.INVOICE,
        cc=True,
    ),
    ThreadTemplate(
        "zh-damaged", "support", "收到的商品有损坏",
        (
            m("""你好，

            今天收到订单 {order}，外箱一角被压坏了，{product} 上有划痕和凹痕。附上照片，
            请问怎么处理？

            {name}"""),
            m("""{first}，您好！

            很抱歉商品到货时是这样的状态，谢谢您提供照片。您不需要寄回，我们已经为您安排了
            免费补发，明天发出；向快递公司的索赔由我们来处理。

            祝好，
            客服 {agent}"""),
            "太感谢了！坏的那个需要扔掉吗？",
            m("""您可以直接回收处理，如果还能用也可以留着。补发的运单号是 {tracking}。

            客服 {agent}"""),
        ),
        tags=("damaged", "shipping"),
        priority=Priority.HIGH,
        note="已就订单 {order} 向快递公司提出索赔，补发免费。",
        customer_file=FileKind.PHOTO,
    ),
    ThreadTemplate(
        "zh-discount-code", "sales", "优惠码 {code} 用不了",
        (
            "你好！我在结账时输入邮件里的优惠码 {code}，但提示无效。是过期了吗？",
            m("""{first}，您好！

            感谢告知。优惠码 {code} 只适用于原价商品，而您购物车里的 {product} 已经在打折，
            所以无法使用。我们为您生成了一个专属优惠码 XIEXIE10，下次购物可享九折，
            特价商品也适用，30 天内有效。

            购物愉快！
            客服 {agent}"""),
            "可以用了，谢谢！",
        ),
        tags=("discount",),
    ),
    ThreadTemplate(
        "zh-change-address", "support", "修改收货地址",
        (
            m("""你好，我刚下了订单 {order}，发现填的是旧地址。正确的地址是
            Kungsgatan 20, 411 19 Göteborg。现在还能改吗？"""),
            m("""{first}，您好！

            来得及，订单还没有拣货，收货地址已经改为 Kungsgatan 20, 411 19 Göteborg。
            新的订单确认邮件稍后会发送给您。

            祝好，
            客服 {agent}"""),
        ),
        tags=("address", "shipping"),
        priority=Priority.HIGH,
        note="仓库已确认在拣货前修改了地址。",
    ),
    ThreadTemplate(
        "zh-b2b-quote", "sales", "批量采购询价",
        (
            m("""您好，

            我们在斯德哥尔摩新开了一家茶室，想采购 {product}，数量大约 40 件。
            请问能否提供报价（含运费）？我已抄送我们的财务部。

            此致，
            {name}"""),
            m("""{first}，您好！

            感谢您的询价！40 件我们可以给您标价八五折的优惠，并且免运费，交货期大约两周。
            请问需要开具公司发票吗？付款方式可以选择 30 天账期。

            祝好，
            客服 {agent}"""),
            "需要公司发票，账期付款可以。我们的公司信息稍后发给您。",
            m("""好的，收到公司信息后我们会马上发出正式报价单，有效期 30 天。

            客服 {agent}"""),
        ),
        tags=("b2b",),
        note="大单：确认交货期之前先和仓库核对库存。",
        cc=True,
    ),
    ThreadTemplate(
        "zh-payment-failed", "billing", "付款一直失败",
        (
            m("""你好，我用 Visa 卡付款试了三次，每次都显示“付款被拒绝”。银行说他们那边没有问题。
            附上截图。"""),
            m("""{first}，您好！

            给您带来不便，非常抱歉。我们查看了支付记录，几次付款都是因为 3-D Secure
            验证超时被拒绝。购物车已为您保存，请再试一次，并在银行 App 里及时确认付款。

            祝好，
            客服 {agent}"""),
            "原来是这样，这次付款成功了，谢谢！",
        ),
        tags=("payment",),
        priority=Priority.HIGH,
        customer_file=FileKind.SCREENSHOT,
    ),
    ThreadTemplate(
        "zh-product-question", "sales", "关于 {product} 的问题",
        (
            "你好！{product} 有深色的吗？保修期是多久？",
            m("""{first}，您好！

            目前有原木色和炭灰色两种，炭灰色下周补货。我们所有商品都享受两年保修，
            30 天内可以无理由退货。

            祝好，
            客服 {agent}"""),
            "炭灰色到货的时候能通知我一下吗？",
            m("""当然可以！我们已经为您登记了到货提醒，商品一到货您就会收到邮件。

            客服 {agent}"""),
        ),
        tags=("product",),
    ),
    ThreadTemplate(
        "zh-cancel", "support", "取消订单 {order}",
        (
            "你好，请帮我取消订单 {order}，我不小心下了两次单。",
            m("""{first}，您好！

            订单 {order} 已取消，另一个订单不受影响。{amount} 瑞典克朗的预授权
            银行会在几天内释放。

            祝好，
            客服 {agent}"""),
        ),
        tags=("refund",),
    ),
    ThreadTemplate(
        "zh-ship-china", "sales", "可以寄到中国吗？",
        (
            "你好，请问你们可以发货到上海吗？大概多久能到？需要交关税吗？",
            m("""{first}，您好！

            很抱歉，目前我们只发货到欧盟国家、挪威和英国，暂时还不能寄到中国。
            如果以后开通了，我们会在会员邮件里通知大家。

            祝好，
            客服 {agent}"""),
            "好的，明白了，谢谢。",
        ),
        tags=("shipping",),
    ),
    ThreadTemplate(
        "zh-spam-promo", "sales", "【限时优惠】跨境电商引流服务",
        (
            m("""尊敬的店主：

            我们提供专业的跨境电商引流服务，一周内让您的店铺流量翻倍！现在咨询即送免费诊断，
            名额有限，先到先得！

            优惠推广中心"""),
        ),
        kind=Kind.SPAM,
    ),
    ThreadTemplate(
        "zh-auto-reply", "support", "自动回复：您的订单 {order}",
        (
            "您好，我正在休假，暂时无法查看邮件。紧急事务请致电公司前台。",
        ),
        kind=Kind.TRASH,
    ),
)
