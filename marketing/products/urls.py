"""Routes of the product catalog (under marketing/)."""

from django.urls import path

from marketing.products import views
from ocrm import links

urlpatterns = [
    path("products/eligible/<str:number>/", views.EligibleSectionView.as_view(), name="products_eligible"),
    path("products/", views.ProductListView.as_view(), name="catalog_products"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="catalog_product"),
    path("products/versions/<int:pk>/submit/", views.SubmitVersionView.as_view(), name="catalog_version_submit"),
    path("bundles/", views.BundleListView.as_view(), name="catalog_bundles"),
    path("bundles/new/", views.BundleCreateView.as_view(), name="catalog_bundle_create"),
    path("bundles/<int:pk>/", views.BundleDetailView.as_view(), name="catalog_bundle"),
]

links.register("catalog_products", "marketing:catalog_products")
links.register("catalog_product", "marketing:catalog_product")
links.register("catalog_bundles", "marketing:catalog_bundles")
links.register("catalog_bundle", "marketing:catalog_bundle")
