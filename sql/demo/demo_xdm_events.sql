-- demo_xdm_events: the generator's flat events (generated_events) shaped as XDM ExperienceEvents:
-- _id, timestamp, eventType, identityMap (namespace -> identities, a STRUCT as in JSON XDM; ECID
-- primary), commerce / web / application measures and productListItems.
-- Grain: one row per event, in generation order. Parameters: $event_types (VARCHAR[], by code).
SELECT
    'evt-' || g.event_index::VARCHAR                                        AS _id,
    make_timestamp(g.ts_ms * 1000)::TIMESTAMPTZ                             AS "timestamp",
    g.event_type                                                            AS eventType,
    {'ECID': [{'id': printf('cust-%07d', g.idx), 'authenticatedState': 'ambiguous', 'primary': true}]}
                                                                            AS identityMap,
    {
        'purchases':           CASE WHEN g.event_type = 'commerce.purchases' THEN {'value': 1.0} END,
        'checkouts':           CASE WHEN g.event_type = 'commerce.checkouts' THEN {'value': 1.0} END,
        'productListAdds':     CASE WHEN g.event_type = 'commerce.productListAdds' THEN {'value': 1.0} END,
        'productListRemovals': CASE WHEN g.event_type = 'commerce.productListRemovals' THEN {'value': 1.0} END,
        'productViews':        CASE WHEN g.event_type = 'commerce.productViews' THEN {'value': 1.0} END,
        'order': CASE WHEN g.event_type = 'commerce.purchases'
                      THEN {'priceTotal': g.revenue, 'currencyCode': 'USD', 'purchaseID': 'ord-' || g.event_index::VARCHAR} END
    }                                                                       AS commerce,
    {
        'webPageDetails': {
            'name': CASE WHEN g.event_type = 'web.webpagedetails.pageViews' THEN 'page-' || (g.event_index % 40)::VARCHAR END,
            'pageViews': CASE WHEN g.event_type = 'web.webpagedetails.pageViews' THEN {'value': 1.0} END
        },
        'webInteraction': {
            'type': CASE WHEN g.event_type = 'web.webinteraction.linkClicks' THEN 'other' END,
            'linkClicks': CASE WHEN g.event_type = 'web.webinteraction.linkClicks' THEN {'value': 1.0} END
        }
    }                                                                       AS web,
    {
        'launches': CASE WHEN g.event_type = 'application.launches' THEN {'value': 1.0} END
    }                                                                       AS application,
    CASE
        WHEN g.event_type = 'commerce.purchases' THEN
            list_transform(range(g.n_items), lambda i: {
                'SKU': 'sku-' || ((g.event_index * 7 + i * 13) % 500)::VARCHAR,
                'quantity': 1,
                'priceTotal': CASE WHEN i < g.n_items - 1
                                   THEN round(g.revenue / g.n_items, 2)
                                   ELSE round(g.revenue - round(g.revenue / g.n_items, 2) * (g.n_items - 1), 2) END
            })
        WHEN g.event_type IN ('commerce.productViews', 'commerce.productListAdds', 'commerce.productListRemovals') THEN
            [{'SKU': 'sku-' || ((g.event_index * 7) % 500)::VARCHAR, 'quantity': 1, 'priceTotal': NULL::DOUBLE}]
    END                                                                     AS productListItems
FROM (SELECT *, list_element($event_types::VARCHAR[], code + 1) AS event_type FROM generated_events) AS g;
